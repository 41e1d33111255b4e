// A `gluster` for the bundled agent in brick mode on this machine (no glusterd here): it answers
// `volume info` and `heal info summary` with captured output naming `brick` as this host's brick of a
// replica-2 volume with a quorum of both bricks, every brick connected and nothing to heal.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const CAPTURED_BRICK = '/tmp/gcap/b1'
const CAPTURED_UUID = 'b036ba61-9d17-4eef-95de-a9ec9c6d8f63'
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/gluster/${name}`, import.meta.url), 'utf8')

/** Writes the script into `dir/bin` and returns the PATH that finds it first. */
export function fakeGlusterPath(dir: string, brick: string): string {
  const bin = join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  // the agent matches its brick by glusterd's UUID, which this machine may or may not have
  let uuid = ''
  try {
    uuid = /^UUID=(\S+)/m.exec(readFileSync('/var/lib/glusterd/glusterd.info', 'utf8'))?.[1] ?? ''
  } catch {
    // no glusterd here: the agent reads an empty UUID
  }
  const own = (xml: string) => xml.replaceAll(CAPTURED_BRICK, brick).replaceAll(CAPTURED_UUID, uuid)
  const info = own(
    fixture('volume-info-started.xml').replace(
      '<options>',
      '<options><option><name>cluster.quorum-type</name><value>fixed</value></option><option><name>cluster.quorum-count</name><value>2</value></option>',
    ),
  )
  writeFileSync(join(bin, 'volume-info.xml'), info)
  writeFileSync(join(bin, 'heal-summary.xml'), own(fixture('heal-info-summary.xml')))
  const script = `#!/bin/sh
case "$*" in
  *"volume info"*) exec cat '${join(bin, 'volume-info.xml')}' ;;
  *"heal"*"info summary"*) exec cat '${join(bin, 'heal-summary.xml')}' ;;
esac
echo "fake gluster: $*: not answered" >&2
exit 1
`
  writeFileSync(join(bin, 'gluster'), script)
  chmodSync(join(bin, 'gluster'), 0o755)
  return `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`
}
