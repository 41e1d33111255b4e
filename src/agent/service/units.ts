// systemd units for the appliance's host side, rendered from the agent config (the provisioner installs them).
import { DEFAULT_CONFIG_PATH, type AgentConfig } from './config.ts'
import { overlayOptions } from '../fs/mounts.ts'
import { overlayLowerDir } from '../fs/union-lower.ts'
import { drainMountPaths } from '../fs/drain-mounts.ts'
import { agentDefaults } from './defaults.ts'

export const AGENT_PROGRAM = '/usr/local/lib/gfs-writecache/agent.mjs'
export const PREPARE_UNIT = 'gfs-writecache-prepare.service'
export const AGENT_UNIT = 'gfs-writecache.service'
/** The flush contract, installed beside the program so the units' Documentation= points at something real. */
export const AGENT_DOC = '/usr/local/share/doc/gfs-writecache/flush-contract.md'
/** How long the offline prepare step may run before the union's start gives up (a large backlog over a slow link). */
export const PREPARE_TIMEOUT_SECONDS = 1800
/** systemd kills and restarts an agent whose event loop has not beaten for this long (it beats every third). */
export const WATCHDOG_SECONDS = 60

const documentation = `Documentation=file:${AGENT_DOC}`

export interface UnitFile {
  name: string
  content: string
}

export type UnitPaths = Pick<AgentConfig, 'upper' | 'work' | 'lower' | 'union'> &
  Partial<Pick<AgentConfig, 'unionLower' | 'lowerBind' | 'unionLowerMount' | 'drainMounts' | 'drainMountDir' | 'publishConcurrency'>> & {
  /** config file the units pass to the agent (default /etc/gfs-writecache/config.json) */
  configFile?: string
  /** node binary (Debian's nodejs package) */
  node?: string
  /** flush.on_stop_seconds: the stop timeout must allow for it */
  onStopSeconds?: number
}

/** `systemd-escape --path` equivalent: the unit name systemd expects for a mount point. */
export function escapePath(path: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '')
  if (trimmed === '') return '-'
  const bytes = Buffer.from(trimmed, 'utf8')
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    const c = String.fromCharCode(b)
    if (c === '/') out += '-'
    else if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) out += c
    else out += `\\x${b.toString(16).padStart(2, '0')}`
  }
  return out
}

/** Mount unit name for a path, e.g. /gfs/union -> gfs-union.mount. */
export function mountUnitName(path: string): string {
  return `${escapePath(path)}.mount`
}

/** gv0's mount and the union's own read-only gv0 client (docs/cut-link.md), when it has one. */
function lowerUnits(p: UnitPaths): string {
  return [p.lower, ...(p.unionLowerMount ? [p.unionLowerMount] : [])].map(mountUnitName).join(' ')
}

/** Quotes one ExecStart argument for systemd's own parser (not a shell). */
function execArg(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`
}

function exec(p: UnitPaths, command: string): string {
  const cfg = p.configFile && p.configFile !== DEFAULT_CONFIG_PATH ? ` --config ${execArg(p.configFile)}` : ''
  return `${p.node ?? '/usr/bin/node'} ${AGENT_PROGRAM} ${command}${cfg}`
}

/** The offline merge before the union is mounted (also after every boot). */
export function prepareUnit(p: UnitPaths): UnitFile {
  const lower = lowerUnits(p)
  const union = mountUnitName(p.union)
  return {
    name: PREPARE_UNIT,
    content: `[Unit]
Description=gfs-writecache: publish and reclaim the cache before the union is mounted
After=${lower}
Before=${union}

${documentation}

[Service]
Type=oneshot
ExecStart=${exec(p, 'prepare')}
# bounded: a prepare that never ends would keep the union down without a word. On timeout the union
# stays unmounted (its mount point is immutable: writes fail, nothing is lost) and the journal says why
# ("-": the message must never be what fails a prepare that worked).
TimeoutStartSec=${PREPARE_TIMEOUT_SECONDS}
ExecStopPost=-/bin/sh -c 'if [ "$$SERVICE_RESULT" = timeout ]; then echo "gfs-writecache prepare did not finish within ${PREPARE_TIMEOUT_SECONDS} s: ${p.union} is not mounted (writes to it fail, nothing is lost). The cache is intact; start it again with: systemctl start ${union}" >&2; fi'
`,
  }
}

/**
 * The overlay mount itself, with the options DESIGN.md requires. `_netdev` (a userspace-only option)
 * makes systemd order it with the remote file systems: as a local mount it would sit before
 * local-fs.target, which the prepare service (after basic.target) follows, and that cycle makes
 * systemd drop the union at boot.
 */
export function unionMountUnit(p: UnitPaths): UnitFile {
  const lower = lowerUnits(p)
  return {
    name: mountUnitName(p.union),
    content: `[Unit]
Description=gfs-writecache overlay union (cache over gv0)
${documentation}
Requires=${lower} ${PREPARE_UNIT}
After=${lower} ${PREPARE_UNIT}
${p.unionLower === 'brick' ? `# union_lower brick: the prepare step binds the brick (or gv0) here; never an empty lower\nAssertPathIsMountPoint=${overlayLowerDir(p)}\n` : ''}
[Mount]
What=overlay
Where=${p.union}
Type=overlay
Options=${overlayOptions(p)},_netdev

[Install]
WantedBy=remote-fs.target
`,
  }
}

/**
 * What the agent gives up. It unmounts and mounts the union in the host's mount namespace, so nothing
 * that gives it a namespace of its own (ProtectSystem, PrivateTmp, PrivateDevices, ProtectKernel*,
 * ProtectHome, ProtectProc); it publishes setuid files and owners as they are (no RestrictSUIDSGID, and
 * CAP_CHOWN, CAP_FOWNER, CAP_FSETID), writes trusted.* xattrs, mounts and drops dentries
 * (CAP_SYS_ADMIN), looks into every process's open files (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH). Its
 * whiteouts (char 0/0) need neither CAP_MKNOD nor a device rule since Linux 5.8, and it never publishes
 * device nodes, so no device but the standard pseudo-devices. Node's JIT needs writable executable memory
 * (no MemoryDenyWriteExecute).
 * Its gluster checks (health, union_lower brick) run gluster's CLI and glfsheal, which talk to glusterd and
 * to every brick over TCP, and inherit this unit's limits: so Internet sockets stay allowed.
 */
const hardening = `NoNewPrivileges=yes
CapabilityBoundingSet=CAP_SYS_ADMIN CAP_CHOWN CAP_FOWNER CAP_FSETID CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_LINUX_IMMUTABLE
RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6
ProtectClock=yes
RestrictNamespaces=yes
RestrictRealtime=yes
LockPersonality=yes
ProtectHostname=yes
SystemCallArchitectures=native
DevicePolicy=closed
SystemCallFilter=~@clock @cpu-emulation @debug @module @obsolete @raw-io @reboot @resources @swap
SystemCallErrorNumber=EPERM
KeyringMode=private
UMask=0022`
/** A libuv thread per publish in flight, and some for everything else. */
export function threadPoolSize(p: UnitPaths): number {
  const width = (p.publishConcurrency ?? agentDefaults.publishConcurrency) * Math.max(1, p.drainMounts ?? 0)
  return Math.min(1024, Math.max(16, width + 8))
}

/** The flush agent daemon. */
export function agentServiceUnit(p: UnitPaths): UnitFile {
  const union = mountUnitName(p.union)
  const drain = drainMountPaths({ drainMounts: p.drainMounts ?? 0, drainMountDir: p.drainMountDir ?? agentDefaults.drainMountDir }).map(mountUnitName)
  // Wants, not Requires: a drain mount that fails leaves the agent publishing through the others or gv0_mount
  const drainDeps = drain.length ? `Wants=${drain.join(' ')}\nAfter=${drain.join(' ')}\n` : ''
  return {
    name: AGENT_UNIT,
    content: `[Unit]
Description=gfs-writecache flush agent (publishes the cache into gv0)
Requires=${union}
After=${union}

${documentation}

${drainDeps}
[Service]
Type=simple
# each gv0 call holds a libuv thread for a WAN round trip or more: the default pool of 4 queued the
# parallel publishes behind each other (set here: the ESM loader starts the pool before the agent runs)
Environment=UV_THREADPOOL_SIZE=${threadPoolSize(p)}
ExecStart=${exec(p, 'run')}
Restart=always
RestartSec=2
RuntimeDirectory=gfs-writecache
RuntimeDirectoryPreserve=yes
${p.onStopSeconds ? `# flush.on_stop_seconds plus time to finish the copy in progress and save state\nTimeoutStopSec=${Math.ceil(p.onStopSeconds) + 30}\n` : ''}
WatchdogSec=${WATCHDOG_SECONDS}
NotifyAccess=main
${hardening}

[Install]
WantedBy=multi-user.target
`,
  }
}

/** All three units in install order. */
export function agentUnits(p: UnitPaths): UnitFile[] {
  return [prepareUnit(p), unionMountUnit(p), agentServiceUnit(p)]
}
