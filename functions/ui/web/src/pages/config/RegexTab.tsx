// Regex tester (sample lines against failregex/ignoreregex, matches and captures highlighted)
// and log preview (the tail of a log file with the regex's matches marked).
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../lib/api';
import { useAction } from '../../lib/hooks';
import { splitLines } from '../../lib/configKeys';
import { highlightSpans, captureSpans } from '../../lib/highlight';
import type { Route } from '../../lib/url';
import { ActionStatus, Field, fieldProps } from '../../components/ui';

interface TestLine {
  line_number: number;
  line: string;
  matched: boolean;
  ignored: boolean;
  regex_index: number | null;
  host: string | null;
  date: string | null;
  captures: Record<string, string>;
  timed_out: boolean;
  error?: string;
}
interface TestResult {
  lines: TestLine[];
  total: number;
  matched: number;
  ignored: number;
  missed: number;
}
interface PreviewResult {
  path: string;
  lines: { line: string; matched: boolean; spans: [number, number][] }[];
  total_lines: number;
  matched_count: number;
  truncated: boolean;
}

function Marked({ text, spans }: { text: string; spans: [number, number][] }) {
  return (
    <>
      {highlightSpans(text, spans).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </>
  );
}

export function RegexTab({ route }: { route: Route }) {
  const [failregex, setFailregex] = useState('LOGIN FAILED for user \\S+ from <HOST>');
  const [ignoreregex, setIgnoreregex] = useState('');
  const [sample, setSample] = useState('2026-01-01 10:00:00 LOGIN FAILED for user bob from 192.0.2.7\n2026-01-01 10:00:01 login ok for user bob from 192.0.2.7');
  const [result, setResult] = useState<TestResult>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  const [path, setPath] = useState(route.query.path ?? '');
  const [preview, setPreview] = useState<PreviewResult>();
  const [pErrors, setPErrors] = useState<Record<string, string>>({});
  const [pAction, runPreview] = useAction();

  const test = (e: Event) => {
    e.preventDefault();
    setErrors({});
    run(async () => {
      try {
        const body: Record<string, unknown> = { failregex: splitLines(failregex), lines: sample.split('\n').filter((l) => l.trim()) };
        if (ignoreregex.trim()) body.ignoreregex = splitLines(ignoreregex);
        setResult(await api.post<TestResult>('/config/regex-test', body, { host: route.query.host ?? null }));
      } catch (err) {
        setResult(undefined);
        setErrors((err as ApiError).fields);
        throw err;
      }
    }, 'Tested.');
  };
  const doPreview = (e: Event) => {
    e.preventDefault();
    setPErrors({});
    runPreview(async () => {
      try {
        setPreview(await api.post<PreviewResult>('/config/preview-log', { path: path.trim(), failregex: splitLines(failregex), lines: 200 }));
      } catch (err) {
        setPreview(undefined);
        setPErrors((err as ApiError).fields);
        throw err;
      }
    }, 'Log read.');
  };

  return (
    <>
      <section class="card" aria-labelledby="regex-title">
        <h2 id="regex-title">Regex tester</h2>
        <form onSubmit={test} noValidate>
          <Field id="rt-failregex" label="failregex (one per line; <HOST> allowed)" error={errors.failregex}>
            <textarea rows={2} class="mono" spellcheck={false} value={failregex} onInput={(e) => setFailregex((e.target as HTMLTextAreaElement).value)} {...(fieldProps('rt-failregex', errors.failregex) as object)} />
          </Field>
          <Field id="rt-ignoreregex" label="ignoreregex (optional)" error={errors.ignoreregex}>
            <textarea rows={1} class="mono" spellcheck={false} value={ignoreregex} onInput={(e) => setIgnoreregex((e.target as HTMLTextAreaElement).value)} {...(fieldProps('rt-ignoreregex', errors.ignoreregex) as object)} />
          </Field>
          <Field id="rt-lines" label="Sample log lines" error={errors.lines ?? errors.log}>
            <textarea rows={4} class="mono" spellcheck={false} value={sample} onInput={(e) => setSample((e.target as HTMLTextAreaElement).value)} {...(fieldProps('rt-lines', errors.lines) as object)} />
          </Field>
          <button type="submit" class="primary" disabled={action.busy || !failregex.trim()}>
            Test
          </button>
          <ActionStatus state={action} />
        </form>
        {result ? (
          <div data-testid="regex-result">
            <p role="status">
              <strong data-testid="regex-matched">{result.matched}</strong> of {result.total} lines matched, {result.ignored} ignored, {result.missed} missed.
            </p>
            <ol class="regex-lines">
              {result.lines.map((l) => (
                <li key={l.line_number} class={l.matched ? 'matched' : l.ignored ? 'ignored' : 'missed'}>
                  <span class="badge">{l.matched ? 'match' : l.ignored ? 'ignored' : 'no match'}</span>{' '}
                  <code>
                    <Marked text={l.line} spans={captureSpans(l.line, l.captures)} />
                  </code>
                  {Object.keys(l.captures).length ? (
                    <dl class="captures">
                      {Object.entries(l.captures).map(([k, v]) => (
                        <>
                          <dt key={'k' + k}>{k}</dt>
                          <dd key={'v' + k} class="mono">
                            {v}
                          </dd>
                        </>
                      ))}
                    </dl>
                  ) : null}
                  {l.error ? <div class="field-error">{l.error}</div> : null}
                </li>
              ))}
            </ol>
          </div>
        ) : null}
      </section>
      <section class="card" aria-labelledby="preview-title">
        <h2 id="preview-title">Log preview</h2>
        <p class="muted small">Reads the end of a log file the agent may read and marks what the failregex above matches.</p>
        <form onSubmit={doPreview} class="inline-form" noValidate>
          <Field id="preview-path" label="Log file path" error={pErrors.path}>
            <input type="text" class="mono" value={path} onInput={(e) => setPath((e.target as HTMLInputElement).value)} {...fieldProps('preview-path', pErrors.path)} />
          </Field>
          <button type="submit" disabled={pAction.busy || !path.trim()}>
            Preview
          </button>
        </form>
        <ActionStatus state={pAction} />
        {preview ? (
          <div data-testid="preview-result">
            <p>
              {preview.matched_count} of {preview.lines.length} lines match{preview.truncated ? ' (truncated)' : ''}.
            </p>
            <pre class="log">
              {preview.lines.map((l, i) => (
                <div key={i} class={l.matched ? 'matched' : ''}>
                  <Marked text={l.line} spans={l.spans} />
                </div>
              ))}
            </pre>
          </div>
        ) : null}
      </section>
    </>
  );
}
