// Strict host-key checking against an OpenSSH known_hosts file, matched as OpenSSH matches it (hashed
// names, [host]:port, * and ? wildcards, !negations, @revoked and @cert-authority markers): unknown keys are
// refused unless pinning was asked for; changed and revoked keys are always refused.
import { createHash, createHmac } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface KnownHostEntry {
  line: number
  patterns: string
  keyType: string
  key: string
  marker?: 'revoked' | 'cert-authority'
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; expected: KnownHostEntry[] }
  /** the key is listed @revoked: refused, and never pinned */
  | { status: 'revoked'; entry: KnownHostEntry }
  /** only a @cert-authority vouches for this host, and this client does not take host certificates */
  | { status: 'certificate'; authorities: KnownHostEntry[] }

/** The name OpenSSH writes for a host: `addr`, or `[addr]:port` when the port is not 22. */
export function hostPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`
}

/** Parse known_hosts text, skipping comments and broken lines; `@revoked` and `@cert-authority` are kept with their marker. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const fields = line.split(/\s+/)
    let marker: KnownHostEntry['marker']
    if (fields[0]!.startsWith('@')) {
      const word = fields.shift()!.slice(1)
      if (word !== 'revoked' && word !== 'cert-authority') return // OpenSSH ignores unknown markers too
      marker = word
    }
    const [patterns, keyType, key] = fields
    if (patterns && keyType && key) entries.push({ line: index + 1, patterns, keyType, key, ...(marker ? { marker } : {}) })
  })
  return entries
}

/** OpenSSH's match_pattern: `*` any run of characters, `?` one character, case-insensitive for host names. */
export function globMatch(pattern: string, name: string): boolean {
  const source = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${source}$`, 's').test(name.toLowerCase())
}

/** A known_hosts host field against a host's name: `|1|salt|hash`, or a comma list where a matching `!neg` wins. */
export function matchesPattern(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return digest === hash
  }
  let matched = false
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false
    } else if (globMatch(pattern, name)) {
      matched = true
    }
  }
  return matched
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
  const presented = blob.toString('base64')
  // OpenSSH refuses a revoked key wherever it is listed, whatever host pattern the line has.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === presented)
  if (revoked) return { status: 'revoked', entry: revoked }
  const forHost = entries.filter((e) => !e.marker && matchesPattern(e.patterns, name))
  const match = forHost.find((e) => e.key === presented)
  if (match) return { status: 'known', entry: match }
  if (forHost.length) return { status: 'changed', expected: forHost }
  const authorities = entries.filter((e) => e.marker === 'cert-authority' && matchesPattern(e.patterns, name))
  if (authorities.length) return { status: 'certificate', authorities }
  return { status: 'unknown' }
}

/** Key types known for a host, so the client asks the server for one of those first. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => !e.marker && matchesPattern(e.patterns, name)).map((e) => e.keyType))]
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
