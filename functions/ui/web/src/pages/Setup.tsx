// First-run wizard: the master password and the optional settings, checked while typing;
// the server's field errors appear at the field.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { navigate } from '../lib/router';
import { passwordProblems, sessionMinutesProblem } from '../lib/validate';
import { ErrorBox, Field, fieldProps } from '../components/ui';

export function SetupPage({ done, onDone }: { done: boolean; onDone: () => void }) {
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [tz, setTz] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [minutes, setMinutes] = useState('480');
  const [socket, setSocket] = useState('');
  const [db, setDb] = useState('');
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [server, setServer] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (done) navigate('/login', true);
  }, [done]);

  const problems = passwordProblems(pw);
  const local: Record<string, string | null> = {
    master_password: pw && problems.length ? 'Needs ' + problems.join(', ') + '.' : null,
    confirm: pw2 && pw2 !== pw ? 'The passwords differ.' : null,
    session_duration_minutes: sessionMinutesProblem(minutes),
    timezone: tz.trim() ? null : 'Required (IANA name, e.g. Europe/Berlin).',
  };
  const err = (k: string) => (touched[k] || server[k] ? server[k] ?? local[k] : null);
  const valid = pw !== '' && problems.length === 0 && pw === pw2 && !local.session_duration_minutes && !local.timezone;

  const touch = (k: string) => setTouched((t) => ({ ...t, [k]: true }));
  const edit = (k: string, set: (v: string) => void) => (e: Event) => {
    set((e.target as HTMLInputElement).value);
    touch(k);
    setServer((s) => {
      const { [k]: _, ...rest } = s;
      return rest;
    });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched({ master_password: true, confirm: true, session_duration_minutes: true, timezone: true });
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.post(
        '/setup',
        {
          master_password: pw,
          timezone: tz.trim(),
          session_duration_minutes: Number(minutes) || undefined,
          fail2ban_socket: socket.trim() || undefined,
          database_path: db.trim() || undefined,
        },
        { host: null },
      );
      onDone();
      navigate('/login', true);
    } catch (ex) {
      const a = ex as ApiError;
      setServer(a.fields ?? {});
      setError(a);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="card narrow">
      <h1>Set up BanGUI</h1>
      <p class="muted">Choose the master password that protects this dashboard. This runs once.</p>
      <form onSubmit={submit} noValidate>
        <Field id="master_password" label="Master password" error={err('master_password')} hint="8–72 bytes with an uppercase letter, a digit and a special character.">
          <input
            type="password"
            autoComplete="new-password"
            value={pw}
            onInput={edit('master_password', setPw)}
            {...fieldProps('master_password', err('master_password'), true)}
          />
        </Field>
        <Field id="confirm" label="Repeat the password" error={err('confirm')}>
          <input type="password" autoComplete="new-password" value={pw2} onInput={edit('confirm', setPw2)} {...fieldProps('confirm', err('confirm'))} />
        </Field>
        <Field id="timezone" label="Time zone" error={err('timezone')} hint="IANA name; trend charts align to it.">
          <input type="text" value={tz} onInput={edit('timezone', setTz)} {...fieldProps('timezone', err('timezone'), true)} />
        </Field>
        <Field id="session_duration_minutes" label="Session length (minutes)" error={err('session_duration_minutes')}>
          <input
            type="number"
            min={5}
            max={43200}
            value={minutes}
            onInput={edit('session_duration_minutes', setMinutes)}
            {...fieldProps('session_duration_minutes', err('session_duration_minutes'))}
          />
        </Field>
        <details>
          <summary>Advanced</summary>
          <Field id="fail2ban_socket" label="fail2ban socket (optional)" error={err('fail2ban_socket')}>
            <input type="text" value={socket} onInput={edit('fail2ban_socket', setSocket)} {...fieldProps('fail2ban_socket', err('fail2ban_socket'))} />
          </Field>
          <Field id="database_path" label="fail2ban database (optional)" error={err('database_path')}>
            <input type="text" value={db} onInput={edit('database_path', setDb)} {...fieldProps('database_path', err('database_path'))} />
          </Field>
        </details>
        {error && Object.keys(server).length === 0 ? <ErrorBox error={error} /> : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Complete setup'}
        </button>
      </form>
    </main>
  );
}
