/**
 * Toy transaction machines for the runtime tests: the real deployment events over a miniature
 * sysroot whose "deployments" are directories of marker files and whose bootloader is a
 * `boot/loader -> loader.N` symlink swapped by rename, like ostree's. Small enough to kill at
 * every event, shaped enough that the deployments projection can be compared with the disk.
 *
 * - toy-deploy (abort-or-complete): write a deployment → swap the bootloader (the point of no
 *   return) → remove the deployments that fell off the list (a loop) → clean the old side.
 * - toy-pin (resume): pin a list of deployments one by one (a loop); entry/exit actions write to a
 *   notes file so tests can see that a restore replays none of them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from "node:fs"
import { join } from "node:path"
import { assign, setup } from "xstate"
import {
  BootloaderSwapRequested,
  BootloaderSwapped,
  CleanupDone,
  CleanupRequested,
  DeploymentRemoved,
  DeploymentRemoveRequested,
  DeploymentWritten,
  DeployRequested,
  PinChanged,
  PinRequested,
  type DeploymentRef,
} from "../../src/events/types/deployment.js"
import { crashPoint, defineTransaction, stepActors, txnStep } from "../../src/machines/runtime/index.js"

export const FILES = ["usr-a", "usr-b", "usr-c"] as const

export const deployDir = (root: string, d: DeploymentRef): string => join(root, "ostree/deploy", d.stateroot, "deploy", `${d.checksum}.${d.serial}`)
const originFile = (root: string, d: DeploymentRef): string => `${deployDir(root, d)}.origin`
const loader = (root: string): string => join(root, "boot/loader")
const loaderTmp = (root: string): string => join(root, "boot/loader.tmp")
const side = (root: string, b: number): string => join(root, `boot/loader.${b}`)
export const liveBootversion = (root: string): number => (readlinkSync(loader(root)) === "loader.1" ? 1 : 0)

export const initToySysroot = (root: string): void => {
  mkdirSync(join(root, "ostree/deploy/os/deploy"), { recursive: true })
  mkdirSync(join(side(root, 0), "entries"), { recursive: true })
  symlinkSync("loader.0", loader(root))
}

const content = (d: DeploymentRef, file: string): string => `${d.checksum} ${file}\n`

/** A crash point inside an effect; with TOY_STEP_DELAY (ms) also a pause there, so the random-kill soak lands mid-effect. */
const point = (label: string): void => {
  crashPoint(label)
  const ms = Number(process.env["TOY_STEP_DELAY"] ?? 0)
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

// --- io: each function idempotent, as a step must be -------------------------------------------

const writeDeployment = async (req: { stateroot: string; checksum: string; serial: number; kargs?: string }) => {
  const dir = deployDir(ROOT(), req)
  mkdirSync(dir, { recursive: true })
  FILES.forEach((f, i) => {
    writeFileSync(join(dir, f), content(req, f))
    if (i === 0) point("toy:write-half")
    // A "corrupt commit": fails half-way, leaving a partial directory for undo to remove.
    if (i === 0 && req.checksum.startsWith("bad")) throw Object.assign(new Error(`toy: commit ${req.checksum} is corrupt`), { reason: "Corrupt" })
  })
  const origin = `[origin]\nrefspec=toy:${req.checksum}\n`
  writeFileSync(originFile(ROOT(), req), origin)
  return {
    deployment: { stateroot: req.stateroot, checksum: req.checksum, serial: req.serial, bootcsum: `b${req.checksum}`, origin, pinned: false, staged: false },
    ...(req.kargs !== undefined ? { kargs: req.kargs } : {}),
  }
}

const swapBootloader = async (req: { bootversion: number; subbootversion: number; deployments: ReadonlyArray<DeploymentRef> }) => {
  const root = ROOT()
  // Already swapped (a re-run after the rename): never touch the live side.
  if (readlinkSync(loader(root)) !== `loader.${req.bootversion}`) {
    rmSync(side(root, req.bootversion), { recursive: true, force: true })
    mkdirSync(join(side(root, req.bootversion), "entries"), { recursive: true })
    req.deployments.forEach((d, i) => {
      writeFileSync(join(side(root, req.bootversion), "entries", `ostree-${req.deployments.length - i}-${d.stateroot}.conf`), `deployment ${d.checksum}.${d.serial}\n`)
      if (i === 0) point("toy:side-half")
    })
    rmSync(loaderTmp(root), { force: true })
    symlinkSync(`loader.${req.bootversion}`, loaderTmp(root))
    point("toy:before-rename")
    renameSync(loaderTmp(root), loader(root))
    point("toy:after-rename")
  }
  return req
}

const removeDeployment = async (d: DeploymentRef) => {
  const dir = deployDir(ROOT(), d)
  FILES.forEach((f, i) => {
    rmSync(join(dir, f), { force: true })
    if (i === 0) point("toy:remove-half")
  })
  rmSync(dir, { recursive: true, force: true })
  rmSync(originFile(ROOT(), d), { force: true })
  return { stateroot: d.stateroot, checksum: d.checksum, serial: d.serial }
}

const cleanup = async () => {
  const stale = `boot/loader.${1 - liveBootversion(ROOT())}`
  rmSync(join(ROOT(), stale), { recursive: true, force: true })
  return { removed: [stale] }
}

const setPinned = async (req: { stateroot: string; checksum: string; serial: number; pinned: boolean; previous: boolean }) => {
  const path = originFile(ROOT(), req)
  const base = readFileSync(path, "utf8").replace(/\[libostree-transient\]\npinned=true\n/, "")
  writeFileSync(`${path}.tmp`, req.pinned ? `${base}[libostree-transient]\npinned=true\n` : base)
  renameSync(`${path}.tmp`, path)
  return req
}

/** The toy io functions find the sysroot here (a step's StepContext has it too; this keeps io plain). */
let root: string | undefined
const ROOT = (): string => {
  if (!root) throw new Error("toy sysroot not set")
  return root
}
export const useToySysroot = (r: string): void => {
  root = r
}

// --- toy-deploy --------------------------------------------------------------------------------

export const deploySteps = {
  write: txnStep({ intent: DeployRequested, fact: DeploymentWritten, run: writeDeployment }),
  swap: txnStep({ intent: BootloaderSwapRequested, fact: BootloaderSwapped, run: swapBootloader }),
  remove: txnStep({ intent: DeploymentRemoveRequested, fact: DeploymentRemoved, run: removeDeployment }),
  cleanup: txnStep({ intent: CleanupRequested, fact: CleanupDone, run: cleanup }),
}

export interface ToyDeployInput {
  readonly checksum: string
  readonly serial: number
  /** The boot list now, and how many of it to keep after the new one. */
  readonly current: ReadonlyArray<DeploymentRef>
  readonly bootversion: number
  readonly keep: number
}

interface DeployContext {
  readonly req: { stateroot: string; checksum: string; serial: number }
  readonly list: ReadonlyArray<DeploymentRef>
  readonly drop: ReadonlyArray<DeploymentRef>
  readonly bootversion: number
  readonly i: number
}

export const deployMachine = setup({
  types: { context: {} as DeployContext, input: {} as ToyDeployInput, output: {} as { deployed: string } },
  actors: stepActors(deploySteps),
  guards: { moreToRemove: ({ context }) => context.i < context.drop.length },
}).createMachine({
  id: "toy-deploy",
  context: ({ input }) => {
    const added = { stateroot: "os", checksum: input.checksum, serial: input.serial }
    return {
      req: added,
      list: [added, ...input.current.slice(0, input.keep)],
      drop: input.current.slice(input.keep),
      bootversion: 1 - input.bootversion,
      i: 0,
    }
  },
  initial: "write",
  states: {
    write: { tags: ["before"], invoke: { src: "write", input: ({ context }) => context.req, onDone: "swap" } },
    swap: {
      tags: ["before"],
      invoke: { src: "swap", input: ({ context }) => ({ bootversion: context.bootversion, subbootversion: 0, deployments: context.list }), onDone: "removing" },
    },
    removing: { always: [{ guard: "moreToRemove", target: "remove" }, { target: "cleanup" }] },
    remove: {
      tags: ["after"],
      invoke: { src: "remove", input: ({ context }) => context.drop[context.i]!, onDone: { target: "removing", actions: assign({ i: ({ context }) => context.i + 1 }) } },
    },
    cleanup: { tags: ["after"], invoke: { src: "cleanup", input: () => ({}), onDone: "done" } },
    done: { type: "final" },
  },
  // The machine's output (a final state's own `output` only feeds its parent's onDone).
  output: ({ context }) => ({ deployed: `${context.req.checksum}.${context.req.serial}` }),
})

export const toyDeploy = defineTransaction({
  kind: "toy-deploy",
  machine: deployMachine,
  steps: deploySteps,
  pointOfNoReturn: "BootloaderSwapped",
  policy: "abort-or-complete",
  undo: {
    DeployRequested: async (e) => {
      const d = e.data as DeploymentRef
      rmSync(deployDir(ROOT(), d), { recursive: true, force: true })
      rmSync(originFile(ROOT(), d), { force: true })
      return [`ostree/deploy/${d.stateroot}/deploy/${d.checksum}.${d.serial}`]
    },
    BootloaderSwapRequested: async (e) => {
      const b = (e.data as { bootversion: number }).bootversion
      rmSync(loaderTmp(ROOT()), { force: true })
      // Only ever the inactive side: the probe said the rename did not happen.
      if (liveBootversion(ROOT()) !== b) rmSync(side(ROOT(), b), { recursive: true, force: true })
      return [`boot/loader.${b}`]
    },
  },
  probe: async (ctx) => {
    const b = (ctx.steps.at(-1)!.intent!.data as { bootversion: number }).bootversion
    return liveBootversion(ROOT()) === b ? "after" : "before"
  },
})

// --- toy-pin -------------------------------------------------------------------------------------

export const pinSteps = { pin: txnStep({ intent: PinRequested, fact: PinChanged, run: setPinned }) }

export interface PinTarget extends DeploymentRef {
  readonly pinned: boolean
  readonly previous: boolean
}

interface PinContext {
  readonly targets: ReadonlyArray<PinTarget>
  readonly i: number
  readonly notes: string
}

const note = (notes: string, line: string): void => appendFileSync(notes, line + "\n")

/** `stateName` lets a test build a "newer" machine whose states were renamed. */
export const makePinMachine = (stateName = "pin") =>
  setup({
    types: { context: {} as PinContext, input: {} as { targets: ReadonlyArray<PinTarget>; notes: string }, events: {} as { type: "never" } },
    actors: stepActors(pinSteps),
    actions: {
      enter: ({ context }, p: { state: string }) => note(context.notes, `enter:${p.state}:${context.i}`),
      leave: ({ context }, p: { state: string }) => note(context.notes, `exit:${p.state}:${context.i}`),
    },
    guards: { more: ({ context }) => context.i < context.targets.length },
  }).createMachine({
    id: "toy-pin",
    context: ({ input }) => ({ targets: input.targets, i: 0, notes: input.notes }),
    initial: "next",
    states: {
      next: { always: [{ guard: "more", target: stateName }, { target: "done" }] },
      [stateName]: {
        tags: ["pinning"],
        entry: [{ type: "enter", params: { state: stateName } }],
        exit: [{ type: "leave", params: { state: stateName } }],
        invoke: { src: "pin", input: ({ context }) => context.targets[context.i]!, onDone: { target: "next", actions: assign({ i: ({ context }) => context.i + 1 }) } },
      },
      done: { type: "final", entry: [{ type: "enter", params: { state: "done" } }] },
    },
  })

const pinUndo = async (e: { data: unknown }) => {
  const t = e.data as PinTarget
  await setPinned({ ...t, pinned: t.previous })
  return [`pin ${t.checksum}.${t.serial}`]
}

export const makeToyPin = (stateName = "pin") =>
  defineTransaction({
    kind: "toy-pin",
    machine: makePinMachine(stateName),
    steps: pinSteps,
    pointOfNoReturn: "PinChanged",
    policy: "resume",
    undo: { PinRequested: pinUndo },
  })

export const toyPin = makeToyPin()

export const toyDefinitions = [toyDeploy, toyPin]

// --- reading the toy disk, to compare with the projections -------------------------------------

export interface ToyDisk {
  readonly bootversion: number
  /** The live side's entries, in boot order: `checksum.serial`. */
  readonly order: string[]
  /** Every deployment directory: `checksum.serial`, sorted. */
  readonly deployments: string[]
  /** Deployment dirs missing a file or their origin. */
  readonly partial: string[]
  readonly pinned: string[]
  readonly loaderTmp: boolean
}

export const readToyDisk = (r: string): ToyDisk => {
  const bootversion = liveBootversion(r)
  const entriesDir = join(side(r, bootversion), "entries")
  const entries = readdirSync(entriesDir)
    .map((f) => ({ v: Number(/^ostree-(\d+)-/.exec(f)![1]), d: readFileSync(join(entriesDir, f), "utf8").trim().replace(/^deployment /, "") }))
    .sort((a, b) => b.v - a.v)
  const deployRoot = join(r, "ostree/deploy/os/deploy")
  const names = readdirSync(deployRoot)
  const dirs = names.filter((n) => !n.endsWith(".origin") && !n.endsWith(".tmp")).sort()
  const partial = dirs.filter((n) => !existsSync(join(deployRoot, `${n}.origin`)) || FILES.some((f) => !existsSync(join(deployRoot, n, f))))
  const orphanOrigins = names.filter((n) => n.endsWith(".origin") && !dirs.includes(n.slice(0, -".origin".length)))
  const pinned = dirs.filter((n) => existsSync(join(deployRoot, `${n}.origin`)) && readFileSync(join(deployRoot, `${n}.origin`), "utf8").includes("pinned=true"))
  return { bootversion, order: entries.map((e) => e.d), deployments: dirs, partial: [...partial, ...orphanOrigins], pinned, loaderTmp: existsSync(loaderTmp(r)) }
}
