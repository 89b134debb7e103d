// Scopes every page to one host (`?host=`) or to the whole fleet.
import { sharedGet } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { navigate } from '../lib/router';
import { buildUrl, type Route } from '../lib/url';
import type { HostEntry } from '../lib/types';

export function HostSelector({ route }: { route: Route }) {
  const hosts = useAsync(() => sharedGet<{ items: HostEntry[] }>('/hosts'), []);
  const items = hosts.data?.items ?? [];
  if (hosts.error || items.length === 0) return null;
  const onChange = (e: Event) => {
    const host = (e.target as HTMLSelectElement).value;
    navigate(buildUrl(location.pathname, { ...route.query, host, page: undefined }));
  };
  return (
    <label class="host-select">
      <span>Host</span>
      <select value={route.query.host ?? ''} onChange={onChange} aria-label="Host">
        <option value="">All hosts</option>
        {items.map((h) => (
          <option key={h.name} value={h.name}>
            {h.name}
          </option>
        ))}
      </select>
    </label>
  );
}
