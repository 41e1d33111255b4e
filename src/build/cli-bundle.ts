// `npm ci` builds the controller CLI into dist/ (the `prepare` script), so a run starts without compiling
// TypeScript: one ESM bundle with a chunk per playbook, the agent bundle embedded. provision.mjs uses it only
// while no file under src/ or playbooks/ is newer (dist/manifest.json), and falls back to tsx otherwise.
import { mkdir, readdir, rm, writeFile, readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import { bundleAgent } from '../agent/bundle.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dist = join(root, 'dist')

/** Each source keeps its own location at run time: import.meta.url is rewritten relative to the bundle. */
const ownUrls: esbuild.Plugin = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const own = `new URL(${JSON.stringify(relative(dist, path))}, import.meta.url).href`
      return { contents: text.replaceAll('import.meta.url', own), loader: 'ts' }
    })
  },
}

async function build(): Promise<void> {
  const started = Date.now()
  const playbooks = (await readdir(join(root, 'playbooks'))).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
  const agent = await bundleAgent()
  const entry = [
    `import { registerPlaybooks } from ${JSON.stringify(join(root, 'src/cli/playbooks.ts'))}`,
    `registerPlaybooks({ ${playbooks.map((name) => `${JSON.stringify(name)}: () => import(${JSON.stringify(join(root, 'playbooks', `${name}.ts`))})`).join(', ')} })`,
    `export { main } from ${JSON.stringify(join(root, 'src/cli/main.ts'))}`,
  ].join('\n')
  await rm(dist, { recursive: true, force: true })
  await mkdir(dist, { recursive: true })
  await esbuild.build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'provision-entry.ts', loader: 'ts' },
    outdir: dist,
    entryNames: 'provision',
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    define: { GFS_PREBUILT_AGENT: JSON.stringify(agent) },
    plugins: [ownUrls],
    logLevel: 'warning',
  })
  await writeFile(join(dist, 'manifest.json'), `${JSON.stringify({ builtAt: started, playbooks }, null, 2)}\n`)
  console.log(`built dist/provision.mjs (${playbooks.length} playbooks, agent ${agent.sha256.slice(0, 12)}) in ${Date.now() - started} ms`)
}

await build()
