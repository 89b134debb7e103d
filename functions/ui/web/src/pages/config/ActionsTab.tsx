// Action editor: the action list and the commands and parameters of one action.
import { useEffect, useState } from 'preact/hooks';
import { api, withFieldErrors } from '../../lib/api';
import { useAction, useAsync } from '../../lib/hooks';
import { listSome } from '../../lib/format';
import type { Route } from '../../lib/url';
import type { ActionConfig, ConfigSetting } from '../../lib/types';
import { ActionStatus, ErrorBox, Loading } from '../../components/ui';
import { ConfigList, useConfigList } from '../../components/ConfigList';

export function ActionsTab({ route }: { route: Route }) {
  const host = route.query.host;
  const selected = route.query.action;
  const { list, go } = useConfigList(route, 'actions');
  return (
    <div class="split">
      <ConfigList route={route} list={list} go={go} param="action" label="Actions" />
      {selected ? <ActionEditor key={selected + (host ?? '')} name={selected} /> : <p class="muted">Select an action to edit it.</p>}
    </div>
  );
}

function values(settings: ConfigSetting[]): Record<string, string> {
  return Object.fromEntries(settings.map((s) => [s.key, s.raw]));
}

function ActionEditor({ name }: { name: string }) {
  const enc = encodeURIComponent(name);
  const detail = useAsync((signal) => api.get<ActionConfig>(`/config/actions/${enc}`, { signal }), [name]);
  const [commands, setCommands] = useState<Record<string, string>>({});
  const [params, setParams] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  useEffect(() => {
    if (detail.data) {
      setCommands(values(detail.data.commands));
      setParams(values(detail.data.parameters));
    }
  }, [detail.data]);
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <Loading />;
  const a = detail.data;
  const diff = (before: Record<string, string>, after: Record<string, string>) =>
    Object.fromEntries(Object.entries(after).filter(([k, v]) => before[k] !== v));
  const changes = { commands: diff(values(a.commands), commands), parameters: diff(values(a.parameters), params) };
  const changed = Object.keys(changes.commands).length + Object.keys(changes.parameters).length;
  const rows = (group: string, settings: ConfigSetting[], state: Record<string, string>, set: (v: Record<string, string>) => void) =>
    settings.map((s) => {
      const id = `action-${group}-${s.key}`;
      const err = errors[s.key];
      return (
        <div class={'field' + (err ? ' has-error' : '')} key={id}>
          <label for={id} class="mono">
            {s.key}
          </label>
          <textarea id={id} rows={Math.min(6, (state[s.key] ?? '').split('\n').length)} class="mono" spellcheck={false} value={state[s.key] ?? ''} aria-invalid={err ? true : undefined} onInput={(e) => set({ ...state, [s.key]: (e.target as HTMLTextAreaElement).value })} />
          {err ? <small class="field-error">{err}</small> : null}
        </div>
      );
    });
  return (
    <section class="card" aria-labelledby="action-editor-title">
      <h2 id="action-editor-title">Action {name}</h2>
      <p class="muted small">
        Files {a.files.join(', ')}; used by {listSome(a.used_by, 8, 'no jail')}.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setErrors({});
          run(
            () =>
              withFieldErrors(api.put(`/config/actions/${enc}`, changes), setErrors),
            `Action ${name} saved to action.d/${name}.local.`,
          ).then((ok) => ok && detail.reload());
        }}
      >
        <h3>Commands</h3>
        {rows('cmd', a.commands, commands, setCommands)}
        <h3>Parameters</h3>
        {rows('param', a.parameters, params, setParams)}
        <button type="submit" class="primary" disabled={action.busy || changed === 0}>
          Save
        </button>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
