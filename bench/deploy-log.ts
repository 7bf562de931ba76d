/**
 * Synthetic event logs for bench/deploy.ts: `n` deploy transactions shaped like the ones the
 * deploy machine records (TransactionStarted, the prepare/swap/cleanup intents and facts with
 * persisted snapshots of realistic size, TransactionCompleted: 8 events each), appended one
 * transaction per batch like the runner's step boundaries but without waiting for the disk.
 */
import { openEventLog } from "../src/events/open.js"
import { eventLogPath } from "../src/events/path.js"
import type { NewEvent } from "../src/events/envelope.js"
import { TransactionCompleted, TransactionStarted, txnStream } from "../src/events/types/transaction.js"
import {
  BootloaderSwapped, BootloaderSwapRequested, CleanupDone, CleanupRequested, DeploymentWritten, DeployRequested, type BootListEntry,
} from "../src/events/types/deployment.js"
import { makeTxnIdFactory } from "../src/machines/runtime/txn-id.js"

const hex = (i: number, salt: string): string => (salt + i.toString(16)).padStart(64, "0").slice(-64)

const entry = (i: number): BootListEntry => ({
  stateroot: "fedora",
  checksum: hex(i, "c"),
  serial: 0,
  bootcsum: hex(i, "b"),
  kargs: `root=UUID=6f1d0d2e-7a52-4a8b-9d8e-${String(i).padStart(12, "0")} rw rhgb quiet ostree=/ostree/boot.1/fedora/${hex(i, "b")}/0`,
  origin: "[origin]\nrefspec=fedora:fedora/x86_64/coreos/stable\n",
  version: `39.${20240000 + i}.0`,
  pinned: false,
})

/** A persisted xstate snapshot of the deploy machine's size (its context holds the boot lists). */
const snapshot = (i: number, state: string) => ({
  status: "active",
  value: state,
  historyValue: {},
  context: { request: { ...entry(i), origin: entry(i).origin }, current: [entry(i - 1), entry(i - 2)], list: [entry(i), entry(i - 1)], live: { bootversion: i % 2, subbootversion: 1 }, prune: true },
  children: { [state]: { snapshot: { status: "active", input: {} }, src: state, syncSnapshot: false } },
})

const deployTxn = (txn: string, i: number): NewEvent[] => {
  const swap = { bootversion: (i + 1) % 2, subbootversion: 1, deployments: [entry(i), entry(i - 1)] }
  const events: NewEvent[] = [
    TransactionStarted.make({ kind: "deploy", argv: ["strata", "admin", "deploy", "--os=fedora", "fedora:fedora/x86_64/coreos/stable"], user: "root", pid: 1000 + (i % 30000) }),
    DeployRequested.make({ stateroot: "fedora", checksum: hex(i, "c"), serial: 0, origin: entry(i).origin!, kargs: entry(i).kargs!, snapshot: snapshot(i, "prepare") }),
    DeploymentWritten.make({
      deployment: { stateroot: "fedora", checksum: hex(i, "c"), serial: 0, bootcsum: hex(i, "b"), origin: entry(i).origin!, pinned: false, staged: false },
      kargs: entry(i).kargs!,
      version: entry(i).version!,
      snapshot: snapshot(i, "swap"),
    }),
    BootloaderSwapRequested.make({ ...swap, snapshot: snapshot(i, "swap") }),
    BootloaderSwapped.make({ ...swap, snapshot: snapshot(i, "cleanup") }),
    CleanupRequested.make({ prune: true, snapshot: snapshot(i, "cleanup") }),
    CleanupDone.make({ removed: [`/sysroot/boot/loader.${i % 2}`], deployments: i > 1 ? [{ stateroot: "fedora", checksum: hex(i - 2, "c"), serial: 0 }] : [], prunedObjects: 1234, snapshot: snapshot(i, "done") }),
    TransactionCompleted.make({}),
  ]
  return events.map((e) => ({ ...e, txn }))
}

/** Writes `transactions` deploy transactions (8 events each) into the event log of `sysroot`. */
export const writeDeployLog = async (sysroot: string, transactions: number): Promise<number> => {
  const log = await openEventLog(eventLogPath(sysroot))
  const ids = makeTxnIdFactory()
  try {
    for (let i = 0; i < transactions; i++) {
      const txn = ids(Date.UTC(2024, 0, 1) + i * 60_000)
      await log.append(txnStream(txn), 0, deployTxn(txn, i + 2), { sync: false })
    }
    return log.head().pos
  } finally {
    await log.close()
  }
}
