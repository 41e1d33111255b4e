#!/usr/bin/env node
// npx zx provision.mjs [PLAYBOOK] --inventory NAME: runs a playbook against an inventory's hosts.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./src/cli/main.ts')
const self = process.argv.findIndex((arg) => arg.endsWith('provision.mjs'))
process.exitCode = await main(process.argv.slice(self + 1))
