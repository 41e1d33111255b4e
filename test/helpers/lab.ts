// Lab access for end-to-end tests: fail loudly when the lab cannot come up, never skip.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import * as lab from '../../src/lab/api.ts'
import { caDir, createCa } from '../../src/tls/ca.ts'
import { explain, provision } from './provision.ts'

export { lab }

/** Throw with the reason when the end-to-end tests cannot run here. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('end-to-end tests boot the container lab and must run as root')
}

/** Run a shell command as root on a lab host; throws with its output when it fails. */
export async function onHost(host: string, script: string, options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', script], options)
  if (r.exitCode !== 0) throw new Error(`${host}: \`${script}\` exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

/** Exit code and output of a shell command on a lab host, failing or not. */
export async function tryOnHost(host: string, script: string) {
  return await lab.exec(host, ['sh', '-c', script])
}

/** The tail of a host's glusterd log and brick logs, to explain a gluster failure before the host is gone. */
export async function glusterLogs(host: string, lines = 40): Promise<string> {
  const r = await tryOnHost(host, `for f in /var/log/glusterfs/glusterd.log /var/log/glusterfs/bricks/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n ${lines} "$f"; }; done; true`)
  return `${host}'s gluster logs:\n${r.stdout}${r.stderr}`
}

/** Poll until `check` returns true, or throw with the last reason after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean | string>, timeoutMs = 60_000, stepMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: boolean | string = false
  while (Date.now() < deadline) {
    last = await check().catch((e: Error) => e.message)
    if (last === true) return
    await new Promise((r) => setTimeout(r, stepMs))
  }
  throw new Error(`not reached in ${timeoutMs} ms: ${last === false ? 'condition false' : last}`)
}

/**
 * A copy of the lab inventory with some variables changed, written to `file` (default: a new temp dir).
 * The copy is the same appliance, so it keeps the lab inventory's CA beside it: the hosts trust that one.
 */
export function labInventoryWith(change: (inventory: any) => void, file = join(mkdtempSync(join(tmpdir(), 'gfs-inv-')), 'variant.yaml')): string {
  const inventory = parse(readFileSync(lab.inventoryPath, 'utf8'))
  const mode = unionLowerUnderTest()
  if (mode) inventory.all.vars.union_lower = mode
  change(inventory)
  writeFileSync(file, stringify(inventory))
  const labCa = caDir(lab.inventoryPath)
  // a lab first provisioned through a variant: the lab's CA made now, else each variant would make its own
  // and the hosts, trusting the first, refuse every later one
  if (!existsSync(labCa)) execFileSync('sh', ['-c', createCa(labCa, lab.inventoryName()).script])
  if (!existsSync(caDir(file))) cpSync(labCa, caDir(file), { recursive: true })
  return file
}

/** GFS_LAB_UNION_LOWER=brick or gv0: the end-to-end suites, and every inventory variant they write, in that mode. */
function unionLowerUnderTest(): 'brick' | 'gv0' | undefined {
  const mode = process.env.GFS_LAB_UNION_LOWER
  if (mode === undefined || mode === '') return undefined
  if (mode !== 'brick' && mode !== 'gv0') throw new Error(`GFS_LAB_UNION_LOWER: expected brick or gv0, got ${JSON.stringify(mode)}`)
  return mode
}

let modeInventory: string | undefined

/** The inventory the end-to-end suites provision with: the lab's, in the mode GFS_LAB_UNION_LOWER names. */
export function labInventory(): string {
  if (!unionLowerUnderTest()) return lab.inventoryName()
  modeInventory ??= labInventoryWith(() => {})
  return modeInventory
}

/** The lab up, its WAN link up and the site playbook run: what every end-to-end file starts from. */
export async function provisionedLab(): Promise<void> {
  requireRoot()
  await lab.up({ log: () => {} })
  await lab.link('up')
  const inventory = labInventory()
  const site = await provision(['--inventory', inventory], { timeoutMs: 20 * 60_000 })
  if (site.exitCode !== 0) throw new Error(`site playbook failed on the lab: ${explain(site)}`)
}
