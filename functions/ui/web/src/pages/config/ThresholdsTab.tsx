// Map colour thresholds: steps of `min_bans` and a colour, validated while editing.
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../../lib/api';
import { useAction } from '../../lib/hooks';
import { DEFAULT_STEPS, legend, stepProblems, type Step } from '../../lib/thresholds';
import { useThresholds } from '../../lib/useThresholds';
import { ActionStatus, ErrorBox, Loading } from '../../components/ui';

export function ThresholdsTab() {
  const data = useThresholds();
  const [steps, setSteps] = useState<Step[]>();
  const [server, setServer] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  useEffect(() => {
    if (data.data) setSteps(data.data.steps.map((s) => ({ ...s })));
  }, [data.data]);
  if (data.error) return <ErrorBox error={data.error} />;
  if (!steps) return <Loading />;
  const problems = { ...stepProblems(steps), ...server };
  const update = (i: number, patch: Partial<Step>) => {
    setSteps(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
    setServer({});
  };
  return (
    <section class="card" aria-labelledby="thr-title">
      <h2 id="thr-title">World map colours</h2>
      {data.data?.fallback ? <ErrorBox error={data.data.fallback} title="Showing the defaults" /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(
            () =>
              api.put('/config/map-color-thresholds', { thresholds: steps }, { host: null }).catch((err: ApiError) => {
                setServer(err.fields);
                throw err;
              }),
            'Map colours saved.',
          ).then((ok) => ok && data.reload());
        }}
        noValidate
      >
        <table>
          <caption class="sr-only">Colour steps</caption>
          <thead>
            <tr>
              <th scope="col">From bans</th>
              <th scope="col">Colour</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s, i) => {
              const e1 = problems[`thresholds[${i}].min_bans`];
              const e2 = problems[`thresholds[${i}].color`];
              return (
                <tr key={i}>
                  <td>
                    <input type="number" min={1} aria-label={`Step ${i + 1} minimum bans`} aria-invalid={e1 ? true : undefined} value={s.min_bans} onInput={(e) => update(i, { min_bans: Number((e.target as HTMLInputElement).value) })} />
                    {e1 ? <small class="field-error">{e1}</small> : null}
                  </td>
                  <td>
                    <input type="color" aria-label={`Step ${i + 1} colour`} value={s.color} onInput={(e) => update(i, { color: (e.target as HTMLInputElement).value })} />
                    {e2 ? <small class="field-error">{e2}</small> : null}
                  </td>
                  <td>
                    <button type="button" class="link" disabled={steps.length <= 1} onClick={() => setSteps(steps.filter((_, j) => j !== i))} aria-label={`Remove step ${i + 1}`}>
                      ✕
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {problems.thresholds ? <p class="field-error">{problems.thresholds}</p> : null}
        <div class="row">
          <button
            type="button"
            disabled={steps.length >= 10}
            onClick={() => setSteps([...steps, { min_bans: (steps[steps.length - 1]?.min_bans ?? 0) * 2 || 1, color: '#7f1d1d' }])}
          >
            Add step
          </button>
          <button type="button" onClick={() => setSteps(DEFAULT_STEPS.map((s) => ({ ...s })))}>
            Defaults
          </button>
          <button type="submit" class="primary" disabled={action.busy || Object.keys(stepProblems(steps)).length > 0}>
            Save
          </button>
        </div>
        <ul class="legend" aria-label="Preview">
          {legend(steps).map((l) => (
            <li key={l.label}>
              <span class="swatch" style={{ background: l.color }} aria-hidden="true" /> {l.label}
            </li>
          ))}
        </ul>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
