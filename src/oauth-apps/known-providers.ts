/**
 * Token endpoints of the providers the service knows, so that an app for one of them may leave
 * `token_url` out. Data only: add a provider here, nothing else.
 */
export const KNOWN_TOKEN_URLS: Readonly<Record<string, string>> = {
  gmail: 'https://oauth2.googleapis.com/token',
  google_calendar: 'https://oauth2.googleapis.com/token',
  google_drive: 'https://oauth2.googleapis.com/token',
  google_sheets: 'https://oauth2.googleapis.com/token',
  google: 'https://oauth2.googleapis.com/token',
  xero: 'https://identity.xero.com/connect/token',
  microsoft: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  outlook: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  slack: 'https://slack.com/api/oauth.v2.access',
  hubspot: 'https://api.hubapi.com/oauth/v1/token',
  salesforce: 'https://login.salesforce.com/services/oauth2/token',
  deputy: 'https://once.deputy.com/my/oauth/access_token',
};
