// Response shapes of /api/v1 (snake_case, as the agent's serde models). Fleet views add
// `host` to items and a `hosts` list of per-host results.
import type { Pagination } from './pagination';

export interface HostResult {
  host: string;
  ok: boolean;
  status: number;
  error?: { code?: string; detail?: string };
}
export interface Fleet {
  hosts?: HostResult[];
}
export interface Page<T> extends Fleet {
  items: T[];
  pagination: Pagination;
}
export interface BanItem {
  ip: string;
  jail: string;
  banned_at: string;
  ban_seconds: number;
  ban_count: number;
  failures: number;
  matches: string[];
  service: string | null;
  origin: 'blocklist' | 'selfblock';
  country_code: string | null;
  country_name: string | null;
  asn: string | null;
  org: string | null;
  host?: string;
}
export interface ServerStatus {
  online: boolean;
  version: string | null;
  active_jails: number;
  jails: string[];
  currently_banned: number;
  total_banned: number;
  currently_failed: number;
  total_failed: number;
}
export interface HostEntry {
  name: string;
  url: string;
  role: string;
  reachable: boolean;
  status: string | null;
  fail2ban: string | null;
  fail2ban_version: string | null;
  certificate_expires_at: string | null;
  error?: { code: string; detail: string };
}
export interface CountryCount {
  country_code: string | null;
  country_name: string | null;
  count: number;
}
export interface ByCountry extends Fleet {
  range: string;
  countries: Record<string, number>;
  country_names: Record<string, string>;
  items: CountryCount[];
  unknown: number;
  total: number;
}
export interface TrendBucket {
  timestamp: string;
  local_start: string;
  end: string;
  count: number;
}
export interface Trend extends Fleet {
  range: string;
  bucket_size: string;
  timezone: string;
  buckets: TrendBucket[];
  total: number;
}
export interface ByJail extends Fleet {
  range: string;
  jails: { jail: string; count: number }[];
  total: number;
}
export interface JailSummary {
  name: string;
  running: boolean;
  idle: boolean;
  currently_failed: number;
  total_failed: number;
  currently_banned: number;
  total_banned: number;
  ban_time: number;
  find_time: number;
  max_retry: number;
  host?: string;
}
export interface JailDetail extends JailSummary {
  log_paths: string[];
  journal_matches: string[];
  fail_regex: string[];
  ignore_regex: string[];
  pref_regex: string | null;
  date_pattern: string | null;
  log_encoding: string | null;
  log_timezone: string | null;
  use_dns: string | null;
  max_matches: number;
  max_lines: number;
  actions: string[];
  ignore_self: boolean;
  ignore_command: string | null;
  bantime_escalation: Record<string, unknown>;
}
export interface BannedIp {
  ip: string;
  banned_at: string | null;
  expires_at: string | null;
  ban_seconds: number;
  permanent: boolean;
}
export interface IpTimelineEvent {
  jail: string;
  banned_at: string;
  ban_seconds: number;
  expires_at: string | null;
  ban_count: number;
  failures: number;
  matches: string[];
  service: string | null;
  origin: string;
}
export interface IpDetail {
  ip: string;
  total_bans: number;
  total_failures: number;
  first_seen: string;
  last_seen: string;
  jails: string[];
  geo: Record<string, string | null>;
  events: IpTimelineEvent[];
}
export interface ConfigSetting {
  key: string;
  value: string | null;
  raw: string;
  source: { file: string; line: number; section: string } | null;
}
export interface JailConfigSummary {
  name: string;
  enabled: boolean;
  running: boolean;
  filter: string | null;
  backend: string | null;
  origin: string;
  defined_in: string[];
  has_agent_file: boolean;
}
export interface JailConfigDetail {
  name: string;
  enabled: boolean;
  running: boolean;
  origin: string;
  filter: { name: string; params: Record<string, string> } | null;
  actions: { name: string; params: Record<string, string> }[];
  log_paths: string[];
  backend: string | null;
  max_retry: number | null;
  find_time: string | null;
  ban_time: string | null;
  ignore_ip: string[];
  port: string | null;
  protocol: string | null;
  settings: ConfigSetting[];
  defined_in: string[];
  agent_file: string;
  has_agent_file: boolean;
  can_rollback: boolean;
  config_error: string | null;
}
export interface FilterSummary {
  name: string;
  origin: string;
  shipped: boolean;
  has_local: boolean;
  used_by: string[];
  active: boolean;
}
export interface FilterConfig extends FilterSummary {
  files: string[];
  failregex: string[];
  ignoreregex: string[];
  prefregex: string | null;
  datepattern: string | null;
  maxlines: string | null;
  journalmatch: string | null;
  definition: ConfigSetting[];
  init: ConfigSetting[];
}
export interface ActionConfig extends FilterSummary {
  files: string[];
  commands: ConfigSetting[];
  parameters: ConfigSetting[];
}
