// The appliance's own small CA, kept on the controller beside the inventory: gluster trusts only its certificates.
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { fromShell, onController, type ExecCommand } from '../engine/command.ts'
import { joinShell, shell, type ShellText } from '../engine/quote.ts'

/** Days before expiry at which a host certificate is issued again. */
export const renewDays = 30
/** Lifetime of a host certificate and of the CA. */
export const certificateDays = 365
export const caDays = 3650

/** `<inventory-dir>/<inventory-name>-ca/`: one CA per inventory, next to it, never in the repository. */
export function caDir(inventoryFile: string): string {
  return join(dirname(inventoryFile), `${basename(inventoryFile, extname(inventoryFile))}-ca`)
}

/** Host names the CA issues for must be safe as file names and certificate subjects. */
export function issuableName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)
}

// Private keys are created under umask 077 (mode 0600) and renamed into place only when complete.
const newKey = (file: string) => shell`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out ${file} 2>/dev/null`
const script = (...steps: ShellText[]) => onController(fromShell(joinShell([shell`set -e`, shell`umask 077`, ...steps], '; ')))

/** Controller command: create the CA (key mode 0600, self-signed certificate) in `dir`. */
export function createCa(dir: string, label: string): ExecCommand {
  return script(
    shell`mkdir -p ${dir}`,
    shell`cd ${dir}`,
    newKey('ca.key.new'),
    shell`openssl req -x509 -new -key ca.key.new -subj ${`/CN=gfs-writecache CA ${label}`} -days ${caDays} -sha256 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem.new`,
    shell`chmod 644 ca.pem.new`,
    shell`mv ca.key.new ca.key`,
    shell`mv ca.pem.new ca.pem`,
  )
}

/** Controller command: issue a key and a certificate with CN = host name, signed by the CA in `dir`. */
export function issueCertificate(dir: string, name: string): ExecCommand {
  const f = (suffix: string) => `${name}${suffix}`
  return script(
    shell`cd ${dir}`,
    newKey(f('.key.new')),
    shell`openssl req -new -key ${f('.key.new')} -subj ${`/CN=${name}`} -out ${f('.csr')}`,
    shell`printf '%s\\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=serverAuth,clientAuth > ${f('.ext')}`,
    shell`openssl x509 -req -in ${f('.csr')} -CA ca.pem -CAkey ca.key -CAcreateserial -days ${certificateDays} -sha256 -extfile ${f('.ext')} -out ${f('.pem.new')} 2>/dev/null`,
    shell`chmod 644 ${f('.pem.new')}`,
    shell`mv ${f('.key.new')} ${f('.key')}`,
    shell`mv ${f('.pem.new')} ${f('.pem')}`,
    shell`rm -f ${f('.csr')} ${f('.ext')}`,
  )
}

/** Every private key text under the CA directory, so reports can mask them (empty when there is no CA). */
export function caKeyTexts(dir: string): string[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.key'))
  } catch {
    return []
  }
  return files.flatMap((f) => {
    const text = readFileSync(join(dir, f), 'utf8').trim()
    // The whole key, and each base64 line of it, so a partial print is masked too.
    return [text, ...text.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))]
  })
}

