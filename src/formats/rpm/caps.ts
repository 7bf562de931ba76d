/**
 * File capabilities: the text form rpm stores in FILECAPS (libcap's `cap_to_text`, e.g.
 * "cap_net_admin,cap_net_raw=ep") to the `security.capability` xattr value the kernel reads
 * (struct vfs_cap_data, revision 2: magic|flags, then permitted/inheritable in two 32-bit halves).
 */
import { corrupt } from "./error.js"

const NAMES = [
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap", "linux_immutable",
  "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot",
  "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
  "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
  "perfmon", "bpf", "checkpoint_restore",
]
const byName = new Map(NAMES.map((n, i) => [`cap_${n}`, i]))
const ALL = (1n << BigInt(NAMES.length)) - 1n

const VFS_CAP_REVISION_2 = 0x02000000
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001

export interface CapSets {
  readonly effective: bigint
  readonly permitted: bigint
  readonly inheritable: bigint
}

/** Parses libcap's text form: space-separated clauses `names op flags [op flags…]`, op in = + -. */
export const parseCaps = (text: string): CapSets => {
  let e = 0n, p = 0n, i = 0n
  for (const clause of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([^=+-]*)(([=+-][eip]*)+)$/.exec(clause)
    if (!m) throw corrupt("capabilities", `cannot parse "${clause}"`)
    let set = 0n
    const names = m[1]!
    if (names === "" || names === "all") set = ALL
    else
      for (const n of names.split(",")) {
        const bit = byName.get(n.toLowerCase())
        if (bit === undefined) throw corrupt("capabilities", `unknown capability "${n}"`)
        set |= 1n << BigInt(bit)
      }
    for (const op of m[2]!.match(/[=+-][eip]*/g)!) {
      const flags = op.slice(1)
      if (op[0] === "=") {
        e &= ~set, p &= ~set, i &= ~set
      }
      const add = op[0] !== "-"
      const apply = (v: bigint, f: string) => (flags.includes(f) ? (add ? v | set : v & ~set) : v)
      e = apply(e, "e"), p = apply(p, "p"), i = apply(i, "i")
    }
  }
  return { effective: e, permitted: p, inheritable: i }
}

/** The `security.capability` xattr value for a capability text (revision 2, little-endian). */
export const capsXattr = (text: string): Buffer => {
  const { effective, permitted, inheritable } = parseCaps(text)
  const b = Buffer.alloc(20)
  b.writeUInt32LE(VFS_CAP_REVISION_2 | (effective !== 0n ? VFS_CAP_FLAGS_EFFECTIVE : 0), 0)
  b.writeUInt32LE(Number(permitted & 0xffffffffn), 4)
  b.writeUInt32LE(Number(inheritable & 0xffffffffn), 8)
  b.writeUInt32LE(Number(permitted >> 32n), 12)
  b.writeUInt32LE(Number(inheritable >> 32n), 16)
  return b
}
