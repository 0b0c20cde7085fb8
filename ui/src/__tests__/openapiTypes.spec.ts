// @vitest-environment node
// The online screens' types come from the server's OpenAPI document: src/api/openapi.d.ts
// must be what `npm run gen:api` renders from the snapshot src/api/openapi.json (which
// the server test `openapi::ui_snapshot_is_current` keeps equal to the live document).
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs build script without type declarations
import { render, TYPES } from '../../scripts/openapi-types.mjs'

describe('generated OpenAPI types', () => {
  it('are current with the document snapshot (else: npm run gen:api)', async () => {
    const expected: string = await render()
    const actual = await readFile(TYPES as URL, 'utf8')
    expect(actual === expected, 'src/api/openapi.d.ts is stale: run `npm run gen:api`').toBe(true)
  }, 30_000)
})
