// A frontend team's procurement scenario, written against the TypeScript client @hey-api/openapi-ts
// generates from the gateway's OpenAPI document, used as generated: nothing in ./client is edited.
//
// tests/clients generates the client into ./client beside a copy of this file, compiles both with
// tools/contract/tsconfig.json (strict) and runs one step per call:
//
//   GATEWAY_URL=http://127.0.0.1:8000 ACCESS_TOKEN="$(cityops token --scope '...')" node dist/procurement.js <step>
//
// Each step makes the records it needs, prints `ok <step>` and exits 0, or prints what went wrong and
// exits 1.

import { randomUUID } from 'node:crypto';

import {
  directoryList,
  importsCreate,
  ocdsListReleases,
  reportsSpendCubeCsv,
  taxProfilePut,
  vendorsCreate,
  vendorsGet,
  vendorsList,
  vendorsUpdate,
} from './client';
import type { FieldError, Problem, ValidationProblem, Vendor } from './client';
import { createClient, createConfig } from './client/client';
import { client } from './client/client.gen';

const gatewayUrl = required('GATEWAY_URL');
client.setConfig({ baseUrl: gatewayUrl, auth: () => required('ACCESS_TOKEN') });
// Open data is read with no token at all: a client without `auth`.
const anonymous = createClient(createConfig({ baseUrl: gatewayUrl }));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function present<T>(value: T | undefined, what: string, response?: Response): T {
  if (value === undefined) throw new Error(`no ${what} (HTTP ${response?.status ?? '?'})`);
  return value;
}

// The error of a response is a union of the problem models its statuses declare (`Problem`, and
// `ValidationProblem` for a 422): these guards check the body that came back rather than assert its type.
function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    'status' in value &&
    typeof value.status === 'number' &&
    'title' in value &&
    typeof value.title === 'string'
  );
}

function isFieldError(value: unknown): value is FieldError {
  return (
    typeof value === 'object' &&
    value !== null &&
    'location' in value &&
    Array.isArray(value.location) &&
    'message' in value &&
    typeof value.message === 'string'
  );
}

function isValidationProblem(value: unknown): value is ValidationProblem {
  return isProblem(value) && value.status === 422 && Array.isArray(value.errors) && value.errors.every(isFieldError);
}

function newTin(): string {
  return `12-${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
}

function uniqueWord(): string {
  // A word the registry's full-text search finds only in this run's vendors.
  return `Scn${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

async function createVendor(word: string, suffix: string): Promise<{ vendor: Vendor; location: string | null }> {
  const { data, error, response } = await vendorsCreate({
    body: {
      legal_name: `${word} Paving ${suffix} LLC`,
      entity_type: 'llc',
      identifiers: [{ scheme: 'LA-BTRC', id: `BTRC${String(parseInt(randomUUID().slice(0, 8), 16) % 1e10).padStart(10, '0')}` }],
    },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  check(response.status === 201, `create: HTTP ${response.status} ${JSON.stringify(error)}`);
  return { vendor: present(data, 'created vendor', response), location: response.headers.get('Location') };
}

const steps: Record<string, () => Promise<void>> = {
  // Create, page the list, read one and update it with the ETag its response carried.
  async 'vendor-lifecycle'() {
    const word = uniqueWord();
    const first = await createVendor(word, 'North');
    const second = await createVendor(word, 'South');
    check(first.location?.endsWith(`/vendors/${first.vendor.id}`) === true, `Location: ${first.location}`);

    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data, response } = await vendorsList({ query: { q: word, page_size: 1, page_token: pageToken } });
      const page = present(data, 'vendor page', response);
      check(page.items.length <= 1, `page_size=1 gave ${page.items.length} items`);
      seen.push(...page.items.map((vendor) => vendor.id));
      pageToken = page.next_page_token ?? undefined;
      pages += 1;
    } while (pageToken && pages < 10);
    check(
      seen.length === 2 && seen.includes(first.vendor.id) && seen.includes(second.vendor.id),
      `paged through ${JSON.stringify(seen)}`,
    );

    const read = await vendorsGet({ path: { vendor_id: first.vendor.id } });
    const vendor = present(read.data, 'vendor', read.response);
    const etag = read.response.headers.get('ETag');
    check(etag !== null && /^"[^"]*"$/.test(etag), `a strong ETag on the read, got ${etag}`);

    const renamed = `${word} Paving and Striping LLC`;
    const updated = await vendorsUpdate({
      path: { vendor_id: vendor.id },
      body: { legal_name: renamed },
      headers: { 'If-Match': etag },
    });
    check(updated.response.status === 200, `update: HTTP ${updated.response.status} ${JSON.stringify(updated.error)}`);
    check(present(updated.data, 'updated vendor').legal_name === renamed, 'the name was not changed');
    check(updated.response.headers.get('ETag') !== etag, 'the ETag did not move on');

    // The ETag read before the update is stale now: 412, as a typed problem.
    const stale = await vendorsUpdate({
      path: { vendor_id: vendor.id },
      body: { legal_name: `${renamed} again` },
      headers: { 'If-Match': etag },
    });
    check(stale.response.status === 412, `stale If-Match: HTTP ${stale.response.status}`);
    check(isProblem(stale.error) && stale.error.status === 412, `stale If-Match: ${JSON.stringify(stale.error)}`);
  },

  // `If-None-Match: *` creates the tax profile (once only); `If-Match` with the ETag it carried replaces it.
  async 'tax-profile'() {
    const { vendor } = await createVendor(uniqueWord(), 'Tax');
    const path = { vendor_id: vendor.id };
    const tin = newTin();
    const created = await taxProfilePut({ path, body: { tin_type: 'ein', tin }, headers: { 'If-None-Match': '*' } });
    check(created.response.status === 201, `create: HTTP ${created.response.status} ${JSON.stringify(created.error)}`);
    const profile = present(created.data, 'tax profile', created.response);
    check(profile.tin_last4 === tin.slice(-4) && !JSON.stringify(profile).includes(tin), 'the TIN is shown masked');
    const etag = present(created.response.headers.get('ETag') ?? undefined, 'ETag on the created profile');

    // A profile exists now: creating it again is refused, as a typed problem.
    const again = await taxProfilePut({ path, body: { tin_type: 'ein', tin: newTin() }, headers: { 'If-None-Match': '*' } });
    check(again.response.status === 412, `create again: HTTP ${again.response.status}`);
    check(isProblem(again.error) && again.error.status === 412, `create again: ${JSON.stringify(again.error)}`);

    const replacement = newTin();
    const replaced = await taxProfilePut({ path, body: { tin_type: 'ein', tin: replacement }, headers: { 'If-Match': etag } });
    check(replaced.response.status === 200, `replace: HTTP ${replaced.response.status} ${JSON.stringify(replaced.error)}`);
    const current = present(replaced.data, 'replaced tax profile', replaced.response);
    check(
      current.tin_last4 === replacement.slice(-4) && current.version > profile.version,
      `replaced profile: ${JSON.stringify(current)}`,
    );
    check(replaced.response.headers.get('ETag') !== etag, 'the ETag did not move on');
  },

  // A tabular report as CSV: its own operation (`….csv`), answering text/csv, which the client reads as text.
  async 'csv-report'() {
    const { data, error, response } = await reportsSpendCubeCsv();
    check(response.status === 200, `HTTP ${response.status} ${JSON.stringify(error)}`);
    check(response.headers.get('Content-Type')?.startsWith('text/csv') === true, 'a text/csv answer');
    check(typeof data === 'string', `the CSV as text, got ${typeof data}`);
    const header = data.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    check(header.split(',').length > 1, `a CSV header line, got ${JSON.stringify(header)}`);
  },

  // A CSV file of vendors uploaded as a form's file field (multipart/form-data).
  async 'csv-import'() {
    const word = uniqueWord();
    const csv = `legal_name,entity_type\n${word} Imported One LLC,llc\n${word} Imported Two Inc,corporation\n`;
    const { data, error, response } = await importsCreate({
      body: { file: new Blob([csv], { type: 'text/csv' }) },
      query: { kind: 'vendors', filename: 'vendors.csv' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    check(response.status === 201, `HTTP ${response.status} ${JSON.stringify(error)}`);
    const report = present(data, 'import report', response);
    check(report.status === 'completed' && report.loaded === 2, `import report: ${JSON.stringify(report)}`);
  },

  // A problem is read as the generated types: a missing vendor (404) as a Problem, an invalid body (422) as a
  // ValidationProblem with `errors[]`.
  async 'typed-problem'() {
    const missing = await vendorsGet({ path: { vendor_id: randomUUID() } });
    check(missing.response.status === 404, `HTTP ${missing.response.status}`);
    check(missing.response.headers.get('Content-Type')?.startsWith('application/problem+json') === true, 'problem+json');
    const notFound = missing.error;
    check(isProblem(notFound), `a problem: ${JSON.stringify(notFound)}`);
    check(notFound.status === 404 && notFound.type === 'urn:cityops:problem:not-found', JSON.stringify(notFound));
    check(notFound.title.length > 0, 'a title');

    const invalid = await vendorsCreate({ body: { legal_name: '', entity_type: 'llc' } });
    check(invalid.response.status === 422, `HTTP ${invalid.response.status}`);
    check(invalid.response.headers.get('Content-Type')?.startsWith('application/problem+json') === true, 'problem+json');
    const problem = invalid.error;
    check(isValidationProblem(problem), `a validation problem: ${JSON.stringify(problem)}`);
    const fields = problem.errors.map((field) => field.location.join('.'));
    check(fields.some((loc) => loc.endsWith('legal_name')), `errors[] names legal_name: ${JSON.stringify(problem.errors)}`);
  },

  // Open-government data with no token: the certified-vendor directory and the OCDS feed.
  async 'open-data'() {
    const directory = await directoryList({ client: anonymous, query: { page_size: 5 } });
    check(directory.response.status === 200, `directory: HTTP ${directory.response.status} ${JSON.stringify(directory.error)}`);
    check(Array.isArray(present(directory.data, 'directory page', directory.response).items), 'directory items');

    const releases = await ocdsListReleases({ client: anonymous, query: { page_size: 5 } });
    // 204 while nothing is published yet.
    check([200, 204].includes(releases.response.status), `OCDS: HTTP ${releases.response.status}`);
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const step = steps[name];
  if (!step) throw new Error(`name a step: ${Object.keys(steps).join(', ')}`);
  await step();
  console.log(`ok ${name}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
