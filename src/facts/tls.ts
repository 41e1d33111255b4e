// Facts about the TLS material: what the controller's CA has issued, and what a host has installed.
import { createPublicKey, X509Certificate } from 'node:crypto'
import { onController, sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { Secret } from '../inventory/types.ts'
import { absentMarker, commandFailed, isAbsent } from './answer.ts'
import { renewDays } from '../tls/ca.ts'

export interface IssuedCertificate {
  name: string
  /** the subject's CN */
  cn: string
  /** signed by the CA's current certificate */
  verified: boolean
  /** valid for more than renewDays */
  fresh: boolean
  /** the key beside it belongs to the certificate */
  keyMatches: boolean
}

export interface CaState {
  /** ca.key and ca.pem exist */
  ca: boolean
  certificates: IssuedCertificate[]
}

/** Parse the controller's `--- ca`, `--- cert NAME` and `--- pubkey NAME` sections (PEM texts) as of `now`. */
export function parseCaState(result: Result, now = Date.now()): CaState {
  if (result.exitCode !== 0) throw new Error(`cannot read the CA: ${(result.stderr || result.stdout).trim()}`)
  const sections = pemSections(result.stdout)
  const caPem = sections.get('ca')
  const ca = caPem ? x509(caPem) : undefined
  if (caPem && !ca) throw new Error('the CA certificate ca.pem cannot be read: restore it from a backup of the CA directory')
  const certificates = [...sections.keys()].flatMap((key) => {
    const name = /^cert (.+)$/.exec(key)?.[1]
    if (name === undefined) return []
    const cert = x509(sections.get(key)!)
    if (!cert) return [{ name, cn: '', verified: false, fresh: false, keyMatches: false }]
    const pubkey = sections.get(`pubkey ${name}`)
    const valid = Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo)
    return [
      {
        name,
        cn: /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? '',
        verified: Boolean(ca && valid && cert.checkIssued(ca) && cert.verify(ca.publicKey)),
        fresh: Date.parse(cert.validTo) > now + renewDays * 86_400_000,
        keyMatches: Boolean(pubkey?.trim() && createPublicKey(pubkey).equals(cert.publicKey)),
      },
    ]
  })
  return { ca: Boolean(ca), certificates }
}

/** The certificate in a PEM text, or undefined when it cannot be read (a damaged file is issued again). */
function x509(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem)
  } catch {
    return undefined
  }
}

/** `--- NAME` headed sections of the output, by NAME. */
function pemSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>()
  let current: string | undefined
  for (const line of stdout.split('\n')) {
    const header = /^--- (.+)$/.exec(line)
    if (header) sections.set((current = header[1]!), '')
    else if (current !== undefined) sections.set(current, sections.get(current)! + line + '\n')
  }
  return sections
}

/** What the CA in `dir` holds for these host names (on the controller): certificates, and the public half of each key. */
export const caState = (dir: string, names: string[]) =>
  fact(
    `CA ${dir}`,
    onController(sh`cd ${dir} 2>/dev/null || exit 0; [ -f ca.key ] && [ -f ca.pem ] && echo '--- ca' && cat ca.pem; for n in ${names}; do
  [ -f "$n.pem" ] && [ -f "$n.key" ] || continue
  echo "--- cert $n"; cat "$n.pem"
  echo "--- pubkey $n"; openssl pkey -in "$n.key" -pubout 2>/dev/null
done; true`),
    (result) => parseCaState(result),
  )

export interface IssuedMaterial {
  ca: string
  cert: string
  key: Secret
}

/** Parse the `--- ca`, `--- cert`, `--- key` sections; undefined when something is missing. */
export function parseMaterial(result: Result): IssuedMaterial | undefined {
  if (isAbsent(result)) return undefined
  if (result.exitCode !== 0) throw commandFailed(result)
  const sections = new Map<string, string>()
  let current = ''
  for (const line of result.stdout.split('\n')) {
    const header = /^--- (ca|cert|key)$/.exec(line)
    if (header) current = header[1]!
    else if (current) sections.set(current, (sections.get(current) ?? '') + line + '\n')
  }
  const [ca, cert, key] = ['ca', 'cert', 'key'].map((k) => sections.get(k)?.trimEnd())
  if (!ca || !cert || !key) return undefined
  return { ca: ca + '\n', cert: cert + '\n', key: new Secret(key + '\n') }
}

/** The CA certificate and a host's issued certificate and key, read on the controller (the key stays secret). */
export const issuedMaterial = (dir: string, name: string) =>
  fact(
    `issued ${name}`,
    onController(
      sh`cd ${dir} 2>/dev/null && [ -f ca.pem ] && [ -f ${`${name}.pem`} ] && [ -f ${`${name}.key`} ] || { echo ${absentMarker}; exit 0; }; echo '--- ca' && cat ca.pem && echo '--- cert' && cat ${`${name}.pem`} && echo '--- key' && cat ${`${name}.key`}`,
    ),
    parseMaterial,
  )

/** Where gluster reads its TLS material (hard-wired in gluster). */
export const glusterTlsFiles = { cert: '/etc/ssl/glusterfs.pem', key: '/etc/ssl/glusterfs.key', ca: '/etc/ssl/glusterfs.ca' } as const
export const secureAccessFile = '/var/lib/glusterd/secure-access'
/** Debian's glusterd 10 looks for the same three files in OpenSSL's directory; bricks use /etc/ssl. */
export const opensslDirLinks = { cert: '/usr/lib/ssl/glusterfs.pem', key: '/usr/lib/ssl/glusterfs.key', ca: '/usr/lib/ssl/glusterfs.ca' } as const

/** Parse `readlink` answers, one `path<TAB>target` line each (empty target: not a link). */
export function parseLinks(result: Result): Record<string, string> {
  return Object.fromEntries(result.stdout.split('\n').filter((l) => l.includes('\t')).map((l) => l.split('\t', 2) as [string, string]))
}

/** Where the OpenSSL-directory names of gluster's TLS files point. */
export const tlsLinks = () =>
  fact('gluster TLS links', sh`for f in ${Object.values(opensslDirLinks)}; do printf '%s\t%s\n' "$f" "$(readlink -- "$f")"; done`, parseLinks)

/** Parse `sha256sum` lines (missing files print nothing) into path -> digest. */
export function parseDigests(result: Result): Record<string, string> {
  if (result.exitCode !== 0) throw commandFailed(result)
  return Object.fromEntries(
    result.stdout
      .split('\n')
      .map((l) => /^([0-9a-f]{64})\s+\*?(.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[2]!, m[1]!]),
  )
}

/** SHA-256 of the installed TLS files (the key is compared by digest, never read back). */
export const installedTls = () =>
  fact('installed TLS files', sh`for f in ${Object.values(glusterTlsFiles)}; do if [ -e "$f" ]; then sha256sum -- "$f" || exit; fi; done`, parseDigests)

/** IPv4 addresses these names resolve to on the host, as gluster there would see them. */
export const resolvedAddresses = (names: string[]) =>
  fact(`addresses of ${names.join(' ')}`, sh`for n in ${names}; do getent ahostsv4 -- "$n" | cut -d' ' -f1; done | sort -u`, (r) =>
    r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)),
  )
