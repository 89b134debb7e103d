// Small shared building blocks: status messages, errors, pager, segmented filters, confirm.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../lib/api';
import type { ActionState } from '../lib/hooks';
import { flagEmoji } from '../lib/format';
import { pageWindow, rangeLabel, type Pagination } from '../lib/pagination';

/** Progress, success or the server's `detail` of an action (announced to screen readers). */
export function ActionStatus({ state }: { state: ActionState }) {
  if (state.error) return <ErrorBox error={state.error} />;
  if (!state.message) return <p class="action-status" role="status" aria-live="polite" />;
  return (
    <p class={'action-status ' + (state.busy ? 'busy' : 'ok')} role="status" aria-live="polite">
      {state.busy ? <span class="spinner" aria-hidden="true" /> : '✓ '}
      {state.message}
    </p>
  );
}

export function ErrorBox({ error, title }: { error: ApiError; title?: string }) {
  const cls = error.notImplemented ? 'notice' : 'error';
  return (
    <div class={cls} role="alert">
      {title ? <strong>{title}: </strong> : null}
      {error.notImplemented ? <strong>Not available yet: </strong> : null}
      {error.detail}
      {error.status ? <span class="muted small"> ({error.code}, HTTP {error.status})</span> : null}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="muted" role="status">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Pager({ pagination, onPage, label = 'Pages' }: { pagination: Pagination; onPage: (p: number) => void; label?: string }) {
  if (!pagination) return null;
  const pages = pageWindow(pagination.page, pagination.total_pages);
  return (
    <nav class="pager" aria-label={label}>
      <span class="muted small">{rangeLabel(pagination)}</span>
      {pagination.total_pages > 1 ? (
        <span class="pager-buttons">
          <button type="button" disabled={!pagination.has_prev_page} onClick={() => onPage(pagination.page - 1)} aria-label="Previous page">
            ‹
          </button>
          {pages.map((p, i) =>
            p === null ? (
              <span key={'gap' + i} aria-hidden="true">
                …
              </span>
            ) : (
              <button
                type="button"
                key={p}
                aria-current={p === pagination.page ? 'page' : undefined}
                class={p === pagination.page ? 'current' : ''}
                onClick={() => onPage(p)}
              >
                {p}
              </button>
            ),
          )}
          <button type="button" disabled={!pagination.has_next_page} onClick={() => onPage(pagination.page + 1)} aria-label="Next page">
            ›
          </button>
        </span>
      ) : null}
    </nav>
  );
}

export function Segmented<T extends string>({
  label,
  value,
  options,
  onChange,
  labels,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onChange: (v: T) => void;
  labels?: Partial<Record<T, string>>;
}) {
  return (
    <div class="segmented" role="group" aria-label={label}>
      {options.map((o) => (
        <button type="button" key={o} aria-pressed={o === value} class={o === value ? 'active' : ''} onClick={() => onChange(o)}>
          {labels?.[o] ?? o}
        </button>
      ))}
    </div>
  );
}

/** A button that asks before doing something destructive (a modal dialog). */
export function ConfirmButton({
  label,
  question,
  confirmLabel = 'Confirm',
  onConfirm,
  disabled,
  class: cls = 'danger',
  ariaLabel,
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  disabled?: boolean;
  class?: string;
  ariaLabel?: string;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (open && d && !d.open) d.showModal();
    if (!open && d?.open) d.close();
  }, [open]);
  return (
    <>
      <button type="button" class={cls} disabled={disabled} aria-label={ariaLabel} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {label}
      </button>
      {open ? (
        <dialog ref={ref} class="confirm" aria-labelledby="confirm-q" onClose={() => setOpen(false)}>
          <p id="confirm-q">{question}</p>
          <div class="row">
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={() => {
                setOpen(false);
                onConfirm();
              }}
            >
              {confirmLabel}
            </button>
          </div>
        </dialog>
      ) : null}
    </>
  );
}

export function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string | null;
  hint?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class={'field' + (error ? ' has-error' : '')}>
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <small id={id + '-hint'} class="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={id + '-error'} class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** Props for an input inside `Field`: wires aria-invalid and describedby. */
export function fieldProps(id: string, error?: string | null, hint?: boolean): { id: string; name: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string } {
  const describedBy = [hint ? id + '-hint' : '', error ? id + '-error' : ''].filter(Boolean).join(' ');
  return { id, name: id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy || undefined };
}

export function Country({ code, name }: { code: string | null; name: string | null }) {
  if (!code && !name) {
    return (
      <span class="muted" title="No country known for this address">
        —
      </span>
    );
  }
  return (
    <span class="country">
      <span aria-hidden="true">{flagEmoji(code)}</span> {name || code}
    </span>
  );
}

export function OriginBadge({ origin }: { origin: string }) {
  return <span class={'badge origin-' + origin}>{origin === 'blocklist' ? 'blocklist' : 'self-block'}</span>;
}

export function BarList({ items, label }: { items: { key: string; label: ComponentChildren; count: number; onClick?: () => void }[]; label: string }) {
  const max = Math.max(1, ...items.map((i) => i.count));
  if (items.length === 0) return <p class="muted">No data in this range.</p>;
  return (
    <ul class="barlist" aria-label={label}>
      {items.map((i) => (
        <li key={i.key}>
          <span class="bar-label">{i.onClick ? <button type="button" class="link" onClick={i.onClick}>{i.label}</button> : i.label}</span>
          <span class="bar" style={{ width: `${(i.count / max) * 100}%` }} aria-hidden="true" />
          <span class="bar-count">{i.count.toLocaleString('en-US')}</span>
        </li>
      ))}
    </ul>
  );
}

export function HostFailures({ hosts }: { hosts?: { host: string; ok: boolean; error?: { detail?: string } }[] }) {
  const failed = (hosts ?? []).filter((h) => !h.ok);
  if (failed.length === 0) return null;
  return (
    <div class="notice" role="status">
      {failed.map((h) => (
        <div key={h.host}>
          Host <strong>{h.host}</strong> did not answer: {h.error?.detail ?? 'unreachable'}
        </div>
      ))}
    </div>
  );
}
