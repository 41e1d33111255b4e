// Which lab this process drives: GFS_LAB_INSTANCE (0..9) picks one of several labs that run side by side.
// Every name, address, port and path that must differ between instances is derived here and nowhere else.
// Instance 0 keeps the original names, so a lab started before instances existed is still found.
import { LabError } from './errors.ts'

export const maxInstance = 9

/** Reads the instance number from the environment; anything but an integer 0..9 is an error, not a guess. */
export function parseInstance(value: string | undefined): number {
  if (value === undefined || value === '') return 0
  if (!/^\d$/.test(value.trim())) {
    throw new LabError(`GFS_LAB_INSTANCE=${JSON.stringify(value)}: expected an integer from 0 to ${maxInstance}`, 'unset it for the default lab (instance 0)')
  }
  return Number(value.trim())
}

/** This process's lab instance. */
export const instance = parseInstance(process.env.GFS_LAB_INSTANCE)

/** Prefix of every namespace and root-namespace link the instance owns ("gwl-", "gwl5-"): never a prefix of another's. */
export function namePrefix(n = instance): string {
  return n === 0 ? 'gwl-' : `gwl${n}-`
}

/** The inventory's name as the provisioner's --inventory takes it: "lab", "lab-5". */
export function inventoryNameOf(n = instance): string {
  return n === 0 ? 'lab' : `lab-${n}`
}

/** Moves an IPv4 address of instance 0 into instance n's range: the third octet becomes n (10.213.0.11 -> 10.213.5.11). */
export function instanceAddress(address: string, n = instance): string {
  if (n === 0) return address
  const parts = address.split('/')[0]!.split('.')
  if (parts.length !== 4 || parts[2] !== '0') {
    throw new LabError(`${address}: lab instances need instance 0's addresses in x.y.0.z form`, 'keep lab/topology.yaml on /24 networks with a third octet of 0')
  }
  parts[2] = String(n)
  const suffix = address.includes('/') ? `/${address.split('/')[1]}` : ''
  return parts.join('.') + suffix
}

/** Instance n's apt-cacher-ng port: instance 0's plus n (3149, 3150, ...). */
export function instancePort(port: number, n = instance): number {
  return port + n
}
