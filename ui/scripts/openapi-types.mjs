// The online screens' wire types, generated from the city server's OpenAPI document:
// src/api/openapi.json (a snapshot of GET /api/v1/openapi.json, kept equal to the live
// document by the server test `openapi::ui_snapshot_is_current`) → src/api/openapi.d.ts.
//
//   npm run gen:api          regenerates src/api/openapi.d.ts from the snapshot
//
// src/__tests__/openapiTypes.spec.ts fails when the .d.ts is not what this renders now.
import { readFile, writeFile } from 'node:fs/promises'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'

export const SNAPSHOT = new URL('../src/api/openapi.json', import.meta.url)
export const TYPES = new URL('../src/api/openapi.d.ts', import.meta.url)

/** The .d.ts text for the snapshot, exactly as the file should hold it. */
export async function render() {
  const doc = JSON.parse(await readFile(SNAPSHOT, 'utf8'))
  const ast = await openapiTS(doc, { silent: true })
  return `${COMMENT_HEADER}// Source: src/api/openapi.json. Regenerate with \`npm run gen:api\`.\n\n${astToString(ast)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(TYPES, await render())
  console.log(`wrote ${TYPES.pathname}`)
}
