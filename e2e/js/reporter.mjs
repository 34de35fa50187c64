// A node --test reporter that prints one line per top-level test in the form
// e2e/run.sh counts: "PASS name", "FAIL name: why", "SKIP name: why".
export default async function* reporter(source) {
  for await (const { type, data } of source) {
    if (data?.nesting !== 0) continue;
    if (type === 'test:pass') {
      if (data.skip !== undefined) yield `SKIP ${data.name}: ${data.skip === true ? 'skipped' : data.skip}\n`;
      else yield `PASS ${data.name}\n`;
    } else if (type === 'test:fail') {
      const err = data.details?.error;
      const cause = err?.cause ?? err;
      const why = String(cause?.stack ?? cause?.message ?? cause).split('\n').slice(0, 3).join(' | ');
      yield `FAIL ${data.name}: ${why}\n`;
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      yield data.message;
    } else if (type === 'test:diagnostic') {
      yield `# ${data.message}\n`;
    }
  }
}
