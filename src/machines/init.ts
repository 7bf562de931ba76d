/**
 * `init-fs` and `os-init` — `ostree admin init-fs PATH` and `ostree admin os-init STATEROOT` as
 * transactions, so the log of a sysroot strata made starts with them. Each is one step that only
 * creates what is missing (src/io/sysroot/layout.ts), so an interrupted one is resumed; os-init's
 * undo (the fallback) removes a stateroot it created, if no deployment was made in it since.
 *
 * The sysroot lock and the log live under `PATH/ostree`, so init-fs creates that directory
 * before the transaction (`ensureSysrootDir`); everything else is the step's.
 */
import { mkdir, readdir } from "node:fs/promises"
import { existsSync } from "node:fs"
import { setup } from "xstate"
import { FsInitialized, FsInitRequested, OsInitialized, OsInitRequested } from "../events/types/init.js"
import { SysrootError, sysFsError } from "../io/sysroot/error.js"
import { rmrf } from "../io/sysroot/fs-ops.js"
import { deployRoot, initFs, osInit, staterootDeployPath, staterootPath, validateStateroot } from "../io/sysroot/layout.js"
import { crashPoint } from "./runtime/crash.js"
import { defineTransaction } from "./runtime/definition.js"
import { stepActors, txnStep } from "./runtime/step.js"

export const initSteps = {
  initFs: txnStep({
    intent: FsInitRequested,
    fact: FsInitialized,
    run: async (req, { sysroot }) => {
      const r = await initFs(sysroot)
      crashPoint("step:fs-initialized")
      return { path: req.path, created: r.created }
    },
  }),
  osInit: txnStep({
    intent: OsInitRequested,
    fact: OsInitialized,
    run: async (req, { sysroot }) => {
      const r = await osInit({ sysroot, stateroot: req.stateroot })
      crashPoint("step:os-initialized")
      return { ...req, created: r.created }
    },
  }),
}

const oneStep = <K extends keyof typeof initSteps>(kind: string, step: K) => {
  const steps = { [step]: initSteps[step] } as Pick<typeof initSteps, K>
  const machine = setup({ types: { context: {} as { readonly input: unknown }, input: {} as unknown }, actors: stepActors(steps) }).createMachine({
    id: kind,
    context: ({ input }) => ({ input }),
    initial: "run",
    states: { run: { invoke: { src: step, input: ({ context }) => context.input as never, onDone: "done" } }, done: { type: "final" } },
  })
  return { steps, machine }
}

const fs = oneStep("init-fs", "initFs")
export const initFsTransaction = defineTransaction({ kind: "init-fs", machine: fs.machine, steps: fs.steps, pointOfNoReturn: "FsInitialized", policy: "resume", undo: {} })

const os = oneStep("os-init", "osInit")
export const osInitTransaction = defineTransaction({
  kind: "os-init",
  machine: os.machine,
  steps: os.steps,
  pointOfNoReturn: "OsInitialized",
  policy: "resume",
  undo: {
    OsInitRequested: async (e, ctx) => {
      const req = e.data as { stateroot: string; existed: boolean }
      const root = staterootPath(ctx.sysroot, req.stateroot)
      const deployments = await readdir(staterootDeployPath(ctx.sysroot, req.stateroot)).catch(() => [] as string[])
      if (!req.existed && deployments.length === 0) await rmrf(root, "undo os-init")
      return [root]
    },
  },
})

/** `PATH/ostree`, where the lock and the log live: made before the init-fs transaction can lock. */
export const ensureSysrootDir = async (path: string): Promise<void> => {
  await mkdir(`${path}/ostree`, { recursive: true, mode: 0o755 }).catch((e) => {
    throw sysFsError("init-fs", path, e)
  })
}

export const planInitFs =
  () =>
  async ({ sysroot }: { readonly sysroot: string }) => ({ path: sysroot })

export const planOsInit =
  (o: { readonly stateroot: string }) =>
  async ({ sysroot }: { readonly sysroot: string }) => {
    validateStateroot(o.stateroot, "os-init")
    if (!existsSync(deployRoot(sysroot))) {
      throw new SysrootError({ op: "os-init", path: sysroot, reason: "NotFound", code: "NotInitialized", detail: "not an ostree sysroot (no ostree/deploy; run init-fs)" })
    }
    return { stateroot: o.stateroot, existed: existsSync(staterootPath(sysroot, o.stateroot)) }
  }
