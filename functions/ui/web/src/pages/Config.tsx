// Configuration (lazy chunk): tabs for jails, filters, actions, global settings, the regex
// tester and log preview, fail2ban's log and service status, and the map thresholds.
import { buildUrl, carryQuery, type Route } from '../lib/url';
import { JailsTab } from './config/JailsTab';
import { FiltersTab } from './config/FiltersTab';
import { ActionsTab } from './config/ActionsTab';
import { GlobalTab } from './config/GlobalTab';
import { RegexTab } from './config/RegexTab';
import { LogTab } from './config/LogTab';
import { ThresholdsTab } from './config/ThresholdsTab';

const TABS: [string, string][] = [
  ['jails', 'Jails'],
  ['filters', 'Filters'],
  ['actions', 'Actions'],
  ['global', 'Global'],
  ['regex', 'Regex tester'],
  ['log', 'Log & service'],
  ['map', 'Map colours'],
];

export function ConfigPage({ route }: { route: Route }) {
  const tab = TABS.some(([t]) => t === route.params.tab) ? route.params.tab : 'jails';
  return (
    <section aria-labelledby="config-title">
      <h1 id="config-title">Configuration</h1>
      <nav class="tabs" aria-label="Configuration sections">
        {TABS.map(([t, label]) => (
          <a key={t} href={buildUrl('/config/' + t, carryQuery(route.query))} aria-current={t === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'jails' ? <JailsTab route={route} /> : null}
      {tab === 'filters' ? <FiltersTab route={route} /> : null}
      {tab === 'actions' ? <ActionsTab route={route} /> : null}
      {tab === 'global' ? <GlobalTab route={route} /> : null}
      {tab === 'regex' ? <RegexTab route={route} /> : null}
      {tab === 'log' ? <LogTab route={route} /> : null}
      {tab === 'map' ? <ThresholdsTab /> : null}
    </section>
  );
}
