// Password login; returns to the page that was asked for (`?next=`).
import { useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { navigate } from '../lib/router';
import { safeNext, type Route } from '../lib/url';
import { ErrorBox, Field, fieldProps } from '../components/ui';

export function LoginPage({ route, onLogin }: { route: Route; onLogin: () => void }) {
  const [pw, setPw] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!pw) {
      setError(new ApiError(422, { detail: 'Enter the master password.' }));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/auth/login', { password: pw }, { host: null, noAuthRedirect: true });
      onLogin();
      navigate(safeNext(route.query.next), true);
    } catch (ex) {
      setError(ex as ApiError);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="card narrow">
      <h1>Log in to BanGUI</h1>
      <form onSubmit={submit} noValidate>
        <Field id="password" label="Master password" error={error?.detail}>
          <input type="password" autoComplete="current-password" value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} {...fieldProps('password', error?.detail)} />
        </Field>
        {error && error.status === 429 ? <ErrorBox error={error} /> : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
