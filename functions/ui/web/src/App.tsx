// The shell: setup and session gates, navigation, host selector, status bar and pages.
import { useEffect, useState } from 'preact/hooks';
import { api, setAuthHandlers } from './lib/api';
import { navigate, useRoute } from './lib/router';
import { buildUrl, carryQuery, type Route } from './lib/url';
import { StatusBar } from './components/StatusBar';
import { HostSelector } from './components/HostSelector';
import { lazyComponent } from './components/Lazy';
import { Loading } from './components/ui';
import { SetupPage } from './pages/Setup';
import { LoginPage } from './pages/Login';
import { DashboardPage } from './pages/Dashboard';
import { JailsPage } from './pages/Jails';
import { JailPage } from './pages/Jail';
import { HistoryPage, IpPage } from './pages/History';
import { HostsPage } from './pages/Hosts';

const MapPage = lazyComponent(() => import('./pages/Map').then((m) => m.MapPage));
const ConfigPage = lazyComponent(() => import('./pages/Config').then((m) => m.ConfigPage));
const BlocklistsPage = lazyComponent(() => import('./pages/Blocklists').then((m) => m.BlocklistsPage));

type Auth = 'checking' | 'in' | 'out';

const NAV: [string, string, string[]][] = [
  ['/', 'Dashboard', ['dashboard']],
  ['/map', 'World map', ['map']],
  ['/jails', 'Jails', ['jails', 'jail']],
  ['/history', 'History', ['history', 'ip']],
  ['/blocklists', 'Blocklists', ['blocklists']],
  ['/config', 'Configuration', ['config']],
  ['/hosts', 'Hosts', ['hosts']],
];

function here(): string {
  return location.pathname + location.search;
}

function loginUrl(): string {
  const next = here();
  return buildUrl('/login', next === '/' || next.startsWith('/login') ? {} : { next });
}

export function App() {
  const route = useRoute();
  const [setupDone, setSetupDone] = useState<boolean>();
  const [auth, setAuth] = useState<Auth>('checking');

  useEffect(() => {
    setAuthHandlers(
      () => {
        setAuth('out');
        if (!location.pathname.startsWith('/login')) navigate(loginUrl(), true);
      },
      () => setSetupDone(false),
    );
    // The session is asked only once setup is done (before, every route answers 503).
    api.get<{ completed: boolean }>('/setup', { host: null })
      .then(
        (s) => s.completed,
        () => true,
      )
      .then((completed) => {
        setSetupDone(completed);
        if (!completed) return setAuth('out');
        api.get('/auth/session', { host: null, noAuthRedirect: true }).then(
          () => setAuth('in'),
          () => setAuth('out'),
        );
      });
  }, []);

  useEffect(() => {
    if (setupDone === undefined) return;
    if (!setupDone) {
      if (route.page !== 'setup') navigate('/setup', true);
    } else if (auth === 'out' && route.page !== 'login' && route.page !== 'setup') {
      navigate(loginUrl(), true);
    }
  }, [setupDone, auth, route.page]);

  useEffect(() => {
    const titles: Record<string, string> = Object.fromEntries(NAV.map(([, l, pages]) => pages.map((p) => [p, l])).flat());
    const t = route.page === 'setup' ? 'Setup' : route.page === 'login' ? 'Log in' : titles[route.page] ?? 'Not found';
    document.title = `${t} · BanGUI`;
  }, [route.page]);

  if (setupDone === undefined) return <Loading label="Connecting…" />;
  if (route.page === 'setup') return <SetupPage done={!!setupDone} onDone={() => setSetupDone(true)} />;
  if (route.page === 'login') return <LoginPage route={route} onLogin={() => setAuth('in')} />;
  if (auth !== 'in') return <Loading label="Checking your session…" />;

  const logout = async () => {
    try {
      await api.post('/auth/logout', undefined, { host: null, noAuthRedirect: true });
    } catch {
      /* the session is gone either way */
    }
    setAuth('out');
    navigate('/login', true);
  };

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">BanGUI</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label, pages]) => (
              <li key={path}>
                <a href={buildUrl(path, carryQuery(route.query))} aria-current={pages.includes(route.page) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-end">
          <HostSelector route={route} />
          <button type="button" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <StatusBar host={route.query.host} />
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'dashboard':
      return <DashboardPage route={route} />;
    case 'map':
      return <MapPage route={route} />;
    case 'jails':
      return <JailsPage route={route} />;
    case 'jail':
      return <JailPage route={route} />;
    case 'history':
      return <HistoryPage route={route} />;
    case 'ip':
      return <IpPage route={route} />;
    case 'config':
      return <ConfigPage route={route} />;
    case 'blocklists':
      return <BlocklistsPage route={route} />;
    case 'hosts':
      return <HostsPage route={route} />;
    default:
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            <a href="/">Go to the dashboard</a>
          </p>
        </section>
      );
  }
}
