// Maps an address to a delivery cluster (a region code) until the logistics issue brings
// real routing. US addresses go to the east, central or west fulfilment regions (the
// demo warehouses' regions); elsewhere, one cluster per country.
const eastStates = new Set(['CT', 'DE', 'DC', 'FL', 'GA', 'ME', 'MD', 'MA', 'NH', 'NJ', 'NY', 'NC', 'PA', 'RI', 'SC', 'VT', 'VA', 'WV']);
const westStates = new Set(['AK', 'AZ', 'CA', 'CO', 'HI', 'ID', 'MT', 'NV', 'NM', 'OR', 'UT', 'WA', 'WY']);

export function deliveryCluster(country: string, region: string, postalCode: string): string {
  const c = country.toUpperCase();
  if (c !== 'US') return `intl-${c.toLowerCase()}`;
  const state = region.trim().toUpperCase();
  if (eastStates.has(state)) return 'east';
  if (westStates.has(state)) return 'west';
  if (state.length === 2) return 'central';
  // A region we do not recognise: the first ZIP digit runs roughly east (0) to west (9).
  const d = Number(postalCode.trim()[0]);
  if (!Number.isInteger(d)) return 'central';
  return d <= 3 ? 'east' : d <= 7 ? 'central' : 'west';
}
