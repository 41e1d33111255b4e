// Strict host-key checking against an OpenSSH known_hosts file: unknown keys are refused unless
// pinning was asked for, changed keys are always refused.
import { createHash, createHmac } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface KnownHostEntry {
  line: number
  patterns: string
  keyType: string
  key: string
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; expected: KnownHostEntry[] }

/** The name OpenSSH writes for a host: `addr`, or `[addr]:port` when the port is not 22. */
export function hostPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`
}

/** Parse known_hosts text, skipping comments, markers we do not support, and broken lines. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith('@')) return
    const [patterns, keyType, key] = line.split(/\s+/)
    if (patterns && keyType && key) entries.push({ line: index + 1, patterns, keyType, key })
  })
  return entries
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|')
    if (!salt || !hash) return false
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return digest === hash
  }
  return pattern.split(',').some((p) => p === name)
}

/** The key type named inside an SSH wire-format public key blob. */
export function keyTypeOf(blob: Buffer): string {
  const length = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + length).toString('latin1')
}

/** SHA256 fingerprint as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** Decide whether a presented key is the one known for this host. */
export function verifyHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => matchesPattern(e.patterns, name))
  const presented = blob.toString('base64')
  const match = forHost.find((e) => e.key === presented)
  if (match) return { status: 'known', entry: match }
  if (forHost.length === 0) return { status: 'unknown' }
  return { status: 'changed', expected: forHost }
}

/** Key types known for a host, so the client asks the server for one of those first. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => matchesPattern(e.patterns, name)).map((e) => e.keyType))]
}

/** Read a known_hosts file; a missing file is an empty one. */
export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** Pin a newly seen key (only when the user asked to trust new keys). */
export async function pinHostKey(file: string, name: string, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await appendFile(file, `${name} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o644 })
}
