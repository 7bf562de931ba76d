/**
 * The flows `ostree admin` runs, composed from strata's sysroot steps — what the transaction
 * machines will do, minus the event log — so tests can run the same operation through strata
 * and through the real ostree and compare the results.
 */
import { execFileSync } from "node:child_process"
import { writeBootloaderSide, swapBootloader } from "../../src/io/sysroot/bootloader.js"
import { cleanupSysroot } from "../../src/io/sysroot/cleanup.js"
import { prepareDeployment } from "../../src/io/sysroot/deployment.js"
import { originForRefspec } from "../../src/io/sysroot/origin.js"
import { mergeDeploymentFor, simpleDeploymentList } from "../../src/io/sysroot/plan.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import type { Deployment } from "../../src/io/sysroot/types.js"

export const TS = "2024-02-03 04:05:06"

/** `ostree commit` with a fixed timestamp, so two repos get the same commit checksum. */
export const ostreeCommit = (repo: string, tree: string, branch: string, version: string): string =>
  execFileSync("ostree", [`--repo=${repo}`, "commit", "-b", branch, `--tree=dir=${tree}`, `--timestamp=${TS}`, `--add-metadata-string=version=${version}`, "-s", version], { encoding: "utf8" }).trim()

export const ostree = (args: ReadonlyArray<string>): string => execFileSync("ostree", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

export interface DeployFlow {
  readonly sysroot: string
  readonly stateroot: string
  readonly refspec: string
  readonly kargs?: string
  readonly notAsDefault?: boolean
}

/** `ostree admin deploy --os=$stateroot REFSPEC [--karg…]` as steps. */
export const strataDeploy = async (o: DeployFlow): Promise<Deployment[]> => {
  await cleanupSysroot({ sysroot: o.sysroot, prune: false }) // ostree_sysroot_prepare_cleanup
  const state = await loadSysroot({ sysroot: o.sysroot })
  const merge = mergeDeploymentFor({ deployments: state.deployments, stateroot: o.stateroot })
  const prep = await prepareDeployment({
    sysroot: o.sysroot, stateroot: o.stateroot, commit: o.refspec, origin: originForRefspec(o.refspec),
    ...(o.kargs !== undefined ? { kargs: o.kargs } : {}), ...(merge ? { mergeFrom: merge } : {}),
  })
  const list = simpleDeploymentList({
    current: state.deployments, added: prep.deployment, stateroot: o.stateroot, ...(merge ? { merge } : {}),
    ...(o.notAsDefault ? { notAsDefault: true } : {}),
  })
  return writeList(o.sysroot, list)
}

/** write_deployments + cleanup for an explicit list (undeploy, rollback, reorder). */
export const writeList = async (sysroot: string, list: ReadonlyArray<Deployment>): Promise<Deployment[]> => {
  const side = await writeBootloaderSide({ sysroot, deployments: list })
  await swapBootloader({ sysroot, side })
  await cleanupSysroot({ sysroot })
  return [...side.deployments]
}
