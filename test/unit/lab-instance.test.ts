// Lab instances: every name, address and port of instance N is derived from instance 0's, collision-free.
import test from 'ava'
import { instanceAddress, instancePort, inventoryNameOf, namePrefix, parseInstance } from '../../src/lab/instance.ts'
import { forInstance, readTopology } from '../../src/lab/topology.ts'
import { LabError } from '../../src/lab/errors.ts'

test('GFS_LAB_INSTANCE: unset or empty is 0, a digit is itself, anything else is an error', (t) => {
  t.is(parseInstance(undefined), 0)
  t.is(parseInstance(''), 0)
  t.is(parseInstance('7'), 7)
  for (const bad of ['10', '-1', 'x', '1.5', ' ', '05']) t.throws(() => parseInstance(bad), { instanceOf: LabError }, bad)
})

test('instance 0 keeps the original names; the others get their own prefix, inventory and port', (t) => {
  t.is(namePrefix(0), 'gwl-')
  t.is(namePrefix(5), 'gwl5-')
  t.is(inventoryNameOf(0), 'lab')
  t.is(inventoryNameOf(5), 'lab-5')
  t.is(instancePort(3149, 0), 3149)
  t.is(instancePort(3149, 9), 3158)
  t.true(`${namePrefix(9)}m-intruder`.length <= 15, 'management veth fits the interface name limit')
  const prefixes = Array.from({ length: 10 }, (_, n) => namePrefix(n))
  for (const a of prefixes) for (const b of prefixes) if (a !== b) t.false(b.startsWith(a), `${b} starts with ${a}`)
})

test('addresses move to the third octet of the instance; instance 0 is the file as written', (t) => {
  t.is(instanceAddress('10.213.0.11', 0), '10.213.0.11')
  t.is(instanceAddress('10.213.0.11', 5), '10.213.5.11')
  t.is(instanceAddress('10.214.0.0/24', 6), '10.214.6.0/24')
  t.throws(() => instanceAddress('10.213.1.11', 5), { instanceOf: LabError })
  const topo = readTopology()
  t.deepEqual(forInstance(topo, 0), topo)
  const five = forInstance(topo, 5)
  t.is(five.management.network, '10.213.5.0/24')
  t.is(five.management.gateway, '10.213.5.1')
  t.is(five.wan.network, '10.214.5.0/24')
  t.is(five.aptProxy.port, 3154)
  t.deepEqual(five.hosts.map((h) => [h.name, h.management, h.wan]), [['hydra', '10.213.5.11', '10.214.5.11'], ['plexus', '10.213.5.12', '10.214.5.12']])
  t.is(five.intruder.management, '10.213.5.13')
})
