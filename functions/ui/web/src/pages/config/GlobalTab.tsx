// Global settings (fail2ban.local / jail.local [DEFAULT]), reload/restart and log flush.
import { useEffect, useState } from 'preact/hooks';
import { api, withFieldErrors } from '../../lib/api';
import { useAction, useAsync } from '../../lib/hooks';
import { changedFields } from '../../lib/configKeys';
import type { Route } from '../../lib/url';
import { ActionStatus, ConfirmButton, ErrorBox, Field, fieldProps, Loading } from '../../components/ui';

const LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

interface GlobalConfig {
  log_level: string | null;
  log_target: string | null;
  db_file: string | null;
  db_purge_age: string | null;
  db_max_matches: number | null;
  ban_time: string | null;
  find_time: string | null;
  max_retry: number | null;
  ban_action: string | null;
  ignore_ip: string[];
}
interface GlobalResponse {
  config: GlobalConfig;
  runtime: Record<string, unknown>;
  applies_at_reload: string[];
}

type Form = Record<'log_level' | 'log_target' | 'db_purge_age' | 'db_max_matches' | 'ban_time' | 'find_time' | 'max_retry' | 'ban_action' | 'ignore_ip', string>;

function toForm(c: GlobalConfig): Form {
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    log_level: s(c.log_level),
    log_target: s(c.log_target),
    db_purge_age: s(c.db_purge_age),
    db_max_matches: s(c.db_max_matches),
    ban_time: s(c.ban_time),
    find_time: s(c.find_time),
    max_retry: s(c.max_retry),
    ban_action: s(c.ban_action),
    ignore_ip: (c.ignore_ip ?? []).join('\n'),
  };
}

export function GlobalTab({ route }: { route: Route }) {
  const host = route.query.host;
  const data = useAsync((signal) => api.get<GlobalResponse>('/config/global', { signal }), [host]);
  const [form, setForm] = useState<Form>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  useEffect(() => {
    if (data.data) setForm(toForm(data.data.config));
  }, [data.data]);

  const service = (
    <section class="card" aria-labelledby="svc-title">
      <h2 id="svc-title">fail2ban service</h2>
      <div class="row">
        <button type="button" disabled={action.busy} onClick={() => run(() => api.post('/config/reload'), 'fail2ban reloaded.')}>
          Reload fail2ban
        </button>
        <ConfirmButton label="Restart fail2ban" question="Restart fail2ban? Bans are restored from its database." confirmLabel="Restart" disabled={action.busy} onConfirm={() => run(() => api.post('/config/restart'), 'fail2ban restarted.')} />
        <button type="button" disabled={action.busy} onClick={() => run(() => api.post('/server/flush-logs'), 'Log files flushed (reopened).')}>
          Flush logs
        </button>
      </div>
      <ActionStatus state={action} />
    </section>
  );

  if (data.error)
    return (
      <>
        <ErrorBox error={data.error} />
        {service}
      </>
    );
  if (!data.data || !form) return <Loading />;
  const before = toForm(data.data.config);
  const changes = changedFields(before, form, { ignore_ip: 'lines', max_retry: 'number', db_max_matches: 'number' });
  const set = (k: keyof Form) => (e: Event) => {
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
    setErrors(({ [k]: _, ...rest }) => rest);
  };
  const text = (k: keyof Form, label: string, hint?: string) => (
    <Field id={'global-' + k} label={label} error={errors[k]} hint={hint}>
      <input type="text" value={form[k]} onInput={set(k)} {...fieldProps('global-' + k, errors[k], !!hint)} />
    </Field>
  );
  return (
    <>
      <section class="card" aria-labelledby="global-title">
        <h2 id="global-title">Global settings</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setErrors({});
            run(
              () =>
                withFieldErrors(api.put('/config/global', changes), setErrors),
              'Global settings saved.',
            ).then((ok) => ok && data.reload());
          }}
          noValidate
        >
          <div class="form-grid">
            <Field id="global-log_level" label="Log level" error={errors.log_level}>
              <select value={form.log_level} onChange={set('log_level')} id="global-log_level">
                {LEVELS.map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            </Field>
            {text('log_target', 'Log target', 'STDOUT, STDERR, SYSLOG or a file')}
            {text('db_purge_age', 'Database purge age', 'e.g. 1d, 30d')}
            {text('db_max_matches', 'Database max matches')}
            {text('ban_time', 'Default ban time')}
            {text('find_time', 'Default find time')}
            {text('max_retry', 'Default max retry')}
            {text('ban_action', 'Default ban action')}
          </div>
          <Field id="global-ignore_ip" label="Default ignore IPs (one per line)" error={errors.ignore_ip}>
            <textarea rows={3} value={form.ignore_ip} onInput={set('ignore_ip')} {...(fieldProps('global-ignore_ip', errors.ignore_ip) as object)} />
          </Field>
          {data.data.applies_at_reload.length ? <p class="muted small">Applied at the next reload: {data.data.applies_at_reload.join(', ')}.</p> : null}
          <button type="submit" class="primary" disabled={action.busy || Object.keys(changes).length === 0}>
            Save
          </button>
        </form>
      </section>
      {service}
    </>
  );
}
