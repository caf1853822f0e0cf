// A realistic demo catalog, deterministic for a given size: ~50 categories with their own
// attributes, brands per department, prices, warehouses in several regions, delivery
// clusters and routes, and stock per warehouse (some SKUs at zero). Pure: no I/O.
import type { ProductInput } from '../actors/catalog/index.ts';
import type { DeliveryCluster, Route, Warehouse } from '../stores/mysql/logistics.ts';

type Gen = (r: () => number) => Record<string, unknown>;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const colors = ['black', 'white', 'silver', 'red', 'blue', 'green', 'grey', 'navy', 'beige', 'pink'] as const;
const sizes = ['XS', 'S', 'M', 'L', 'XL'] as const;

const electronics: Gen = (r) => ({ color: pick(r, colors), warrantyYears: pick(r, [1, 2, 3]) });
const clothing: Gen = (r) => ({ color: pick(r, colors), size: pick(r, sizes), fabric: pick(r, ['cotton', 'wool', 'linen', 'polyester', 'silk']) });
const home: Gen = (r) => ({ color: pick(r, colors), material: pick(r, ['wood', 'steel', 'glass', 'ceramic', 'bamboo']) });

/** [path, nouns for titles, attribute generator]; the department is the first segment. */
const categories: [string, string[], Gen][] = [
  ['electronics/audio/headphones', ['Wireless Headphones', 'Noise Cancelling Headphones', 'Over-Ear Headphones', 'Wired Headphones'], (r) => ({ ...electronics(r), connectivity: pick(r, ['bluetooth', 'cable']), batteryHours: pick(r, [20, 30, 40]) })],
  ['electronics/audio/earbuds', ['Wireless Earbuds', 'Sport Earbuds', 'True Wireless Earbuds'], (r) => ({ ...electronics(r), connectivity: 'bluetooth', waterproof: pick(r, ['IPX4', 'IPX7']) })],
  ['electronics/audio/speakers', ['Bluetooth Speaker', 'Smart Speaker', 'Bookshelf Speakers', 'Soundbar'], (r) => ({ ...electronics(r), watts: pick(r, [10, 20, 50, 100]) })],
  ['electronics/phones/smartphones', ['Smartphone', 'Android Phone', 'Flagship Phone'], (r) => ({ ...electronics(r), os: pick(r, ['Android', 'iOS']), storage: pick(r, ['64GB', '128GB', '256GB', '512GB']), screen: pick(r, ['6.1in', '6.5in', '6.7in']) })],
  ['electronics/phones/cases', ['Phone Case', 'Rugged Case', 'Wallet Case'], (r) => ({ color: pick(r, colors), material: pick(r, ['silicone', 'leather', 'plastic']) })],
  ['electronics/phones/chargers', ['USB-C Charger', 'Wireless Charger', 'Car Charger'], (r) => ({ watts: pick(r, [18, 30, 65]) })],
  ['electronics/computers/laptops', ['Laptop', 'Ultrabook', 'Gaming Laptop'], (r) => ({ ...electronics(r), ram: pick(r, ['8GB', '16GB', '32GB']), storage: pick(r, ['256GB', '512GB', '1TB']), screen: pick(r, ['13in', '14in', '15.6in']) })],
  ['electronics/computers/monitors', ['Monitor', '4K Monitor', 'Curved Monitor'], (r) => ({ size: pick(r, ['24in', '27in', '32in']), refreshHz: pick(r, [60, 144, 165]) })],
  ['electronics/computers/keyboards', ['Mechanical Keyboard', 'Wireless Keyboard'], (r) => ({ layout: pick(r, ['US', 'UK', 'DE']), switches: pick(r, ['red', 'brown', 'blue']) })],
  ['electronics/computers/mice', ['Wireless Mouse', 'Gaming Mouse', 'Ergonomic Mouse'], (r) => ({ dpi: pick(r, [1600, 3200, 16000]) })],
  ['electronics/cameras', ['Mirrorless Camera', 'Action Camera', 'Instant Camera'], (r) => ({ ...electronics(r), megapixels: pick(r, [12, 24, 45]) })],
  ['electronics/wearables', ['Smartwatch', 'Fitness Tracker'], (r) => ({ ...electronics(r), gps: r() > 0.5 })],
  ['electronics/tv', ['LED TV', 'OLED TV', 'Smart TV'], (r) => ({ size: pick(r, ['43in', '55in', '65in']), resolution: pick(r, ['4K', '8K']) })],
  ['electronics/gaming', ['Game Controller', 'Gaming Headset', 'Console Stand'], electronics],
  ['fashion/men/shirts', ['Oxford Shirt', 'Linen Shirt', 'Polo Shirt'], clothing],
  ['fashion/men/trousers', ['Chinos', 'Jeans', 'Cargo Trousers'], (r) => ({ ...clothing(r), waist: pick(r, [30, 32, 34, 36]) })],
  ['fashion/men/jackets', ['Rain Jacket', 'Down Jacket', 'Denim Jacket'], clothing],
  ['fashion/women/dresses', ['Summer Dress', 'Wrap Dress', 'Maxi Dress'], clothing],
  ['fashion/women/tops', ['Blouse', 'Knit Top', 'T-Shirt'], clothing],
  ['fashion/women/coats', ['Wool Coat', 'Trench Coat', 'Puffer Coat'], clothing],
  ['fashion/shoes/sneakers', ['Running Sneakers', 'Canvas Sneakers', 'Trail Shoes'], (r) => ({ color: pick(r, colors), euSize: pick(r, [38, 40, 42, 44, 46]) })],
  ['fashion/shoes/boots', ['Chelsea Boots', 'Hiking Boots', 'Rain Boots'], (r) => ({ color: pick(r, colors), euSize: pick(r, [38, 40, 42, 44, 46]) })],
  ['fashion/accessories/bags', ['Backpack', 'Tote Bag', 'Messenger Bag'], (r) => ({ color: pick(r, colors), litres: pick(r, [10, 20, 30]) })],
  ['fashion/accessories/watches', ['Analog Watch', 'Dive Watch'], (r) => ({ color: pick(r, colors), strap: pick(r, ['leather', 'steel', 'rubber']) })],
  ['home/bedding/blankets', ['Wool Blanket', 'Fleece Blanket', 'Weighted Blanket', 'Throw Blanket'], (r) => ({ color: pick(r, colors), size: pick(r, ['single', 'double', 'queen', 'king']), fabric: pick(r, ['wool', 'cotton', 'fleece']) })],
  ['home/bedding/pillows', ['Memory Foam Pillow', 'Down Pillow'], (r) => ({ firmness: pick(r, ['soft', 'medium', 'firm']) })],
  ['home/bedding/sheets', ['Cotton Sheet Set', 'Linen Sheet Set'], (r) => ({ color: pick(r, colors), threadCount: pick(r, [200, 400, 600]) })],
  ['home/kitchen/cookware', ['Frying Pan', 'Stock Pot', 'Dutch Oven'], (r) => ({ material: pick(r, ['cast iron', 'stainless steel', 'non-stick']), diameterCm: pick(r, [20, 24, 28]) })],
  ['home/kitchen/appliances', ['Blender', 'Toaster', 'Coffee Maker', 'Kettle'], (r) => ({ color: pick(r, colors), watts: pick(r, [800, 1200, 2000]) })],
  ['home/kitchen/knives', ['Chef Knife', 'Knife Set'], (r) => ({ steel: pick(r, ['German', 'Japanese']) })],
  ['home/furniture/chairs', ['Office Chair', 'Dining Chair', 'Armchair'], home],
  ['home/furniture/tables', ['Coffee Table', 'Desk', 'Side Table'], home],
  ['home/furniture/storage', ['Bookshelf', 'Storage Box', 'Shoe Rack'], home],
  ['home/decor/lighting', ['Desk Lamp', 'Floor Lamp', 'LED Strip'], (r) => ({ color: pick(r, colors), lumens: pick(r, [400, 800, 1600]) })],
  ['home/decor/rugs', ['Area Rug', 'Runner Rug'], (r) => ({ color: pick(r, colors), sizeCm: pick(r, ['120x170', '160x230']) })],
  ['home/garden/tools', ['Garden Shears', 'Hose', 'Rake'], home],
  ['sports/fitness/weights', ['Dumbbell Set', 'Kettlebell', 'Weight Plates'], (r) => ({ kg: pick(r, [2, 5, 10, 20]) })],
  ['sports/fitness/yoga', ['Yoga Mat', 'Yoga Block', 'Resistance Bands'], (r) => ({ color: pick(r, colors), thicknessMm: pick(r, [4, 6, 8]) })],
  ['sports/cycling', ['Bike Helmet', 'Bike Light', 'Cycling Gloves'], (r) => ({ color: pick(r, colors), size: pick(r, sizes) })],
  ['sports/running', ['Running Belt', 'Running Jacket', 'Hydration Vest'], clothing],
  ['sports/outdoor/camping', ['Tent', 'Sleeping Bag', 'Camping Stove'], (r) => ({ persons: pick(r, [1, 2, 4]), weightKg: pick(r, [1, 2, 4]) })],
  ['sports/outdoor/hiking', ['Trekking Poles', 'Hiking Backpack'], (r) => ({ color: pick(r, colors) })],
  ['beauty/skincare', ['Moisturiser', 'Face Serum', 'Sunscreen'], (r) => ({ volumeMl: pick(r, [30, 50, 100]), skinType: pick(r, ['dry', 'oily', 'all']) })],
  ['beauty/haircare', ['Shampoo', 'Conditioner', 'Hair Dryer'], (r) => ({ volumeMl: pick(r, [250, 500]) })],
  ['beauty/fragrance', ['Eau de Parfum', 'Eau de Toilette'], (r) => ({ volumeMl: pick(r, [50, 100]) })],
  ['toys/building', ['Building Blocks Set', 'Construction Kit'], (r) => ({ pieces: pick(r, [250, 500, 1000]), ageMin: pick(r, [6, 8, 12]) })],
  ['toys/games', ['Board Game', 'Card Game', 'Puzzle'], (r) => ({ players: pick(r, ['2-4', '2-6', '1+']), ageMin: pick(r, [6, 8, 12]) })],
  ['toys/plush', ['Teddy Bear', 'Plush Dinosaur'], (r) => ({ color: pick(r, colors), heightCm: pick(r, [20, 30, 50]) })],
  ['books/fiction', ['Novel', 'Thriller', 'Fantasy Saga'], (r) => ({ format: pick(r, ['hardcover', 'paperback']), pages: pick(r, [250, 400, 600]) })],
  ['books/non-fiction', ['Cookbook', 'Biography', 'History Book'], (r) => ({ format: pick(r, ['hardcover', 'paperback']), pages: pick(r, [200, 350, 500]) })],
  ['grocery/coffee', ['Coffee Beans', 'Ground Coffee'], (r) => ({ grams: pick(r, [250, 500, 1000]), roast: pick(r, ['light', 'medium', 'dark']) })],
  ['grocery/tea', ['Green Tea', 'Black Tea', 'Herbal Tea'], (r) => ({ bags: pick(r, [20, 50, 100]) })],
];

const brands: Record<string, string[]> = {
  electronics: ['Sonic', 'Voltra', 'Pixelon', 'Auralis', 'Nimbus', 'Kestrel', 'Zentech', 'Orbix'],
  fashion: ['Northwind', 'Maple & Co', 'Urbane', 'Loomwell', 'Stride', 'Fjordline'],
  home: ['Cosy', 'Hearthly', 'Oakridge', 'Lumen', 'Casa Nova', 'Greenleaf'],
  sports: ['Peakform', 'Trailhead', 'Ironside', 'Flowfit'],
  beauty: ['Glow Lab', 'Pure Petal', 'Aurum'],
  toys: ['Brickly', 'Playwise', 'Tinytown'],
  books: ['Harbor Press', 'Quill House'],
  grocery: ['Highland Roasters', 'Leaf & Cup'],
};
const adjectives = ['Classic', 'Pro', 'Essential', 'Premium', 'Compact', 'Ultra', 'Eco', 'Lite', 'Max', 'Studio', 'Travel', 'Everyday'];

/** A small deterministic PRNG (mulberry32), so the same size gives the same catalog (and benches repeat). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const demoSku = (i: number) => `SKU-${String(i).padStart(5, '0')}`;

export function demoCatalog(count: number): ProductInput[] {
  const out: ProductInput[] = [];
  for (let i = 1; i <= count; i++) {
    const r = rng(i * 2654435761);
    const [category, nouns, attrs] = categories[(i * 7) % categories.length]!;
    const brand = pick(r, brands[category.split('/')[0]!]!);
    const base = 500 + Math.floor(r() * r() * 150_000);
    const title = `${brand} ${pick(r, adjectives)} ${pick(r, nouns)}`;
    out.push({
      sku: demoSku(i),
      title,
      brand, category,
      price: base - (base % 100) + 99,
      currency: 'USD',
      supplierId: `sup-${(i % 40) + 1}`,
      attributes: title.includes('Wireless') ? { ...attrs(r), connectivity: 'bluetooth' } : attrs(r),
    });
  }
  return out;
}

export const demoCategoryCount = categories.length;

export const logisticsWarehouses: Warehouse[] = [
  { warehouseId: 'wh-east', name: 'East fulfilment centre', region: 'east', location: { lat: 40.7, lon: -74.0 } },
  { warehouseId: 'wh-central', name: 'Central fulfilment centre', region: 'central', location: { lat: 41.9, lon: -87.6 } },
  { warehouseId: 'wh-west', name: 'West fulfilment centre', region: 'west', location: { lat: 37.8, lon: -122.4 } },
  { warehouseId: 'wh-eu', name: 'EU fulfilment centre (Frankfurt)', region: 'eu', location: { lat: 50.1, lon: 8.7 } },
  { warehouseId: 'wh-uk', name: 'UK fulfilment centre (Birmingham)', region: 'uk', location: { lat: 52.5, lon: -1.9 } },
];

export const logisticsClusters: DeliveryCluster[] = [
  { clusterId: 'east', name: 'US East', country: 'US' },
  { clusterId: 'central', name: 'US Central', country: 'US' },
  { clusterId: 'west', name: 'US West', country: 'US' },
  { clusterId: 'intl-ca', name: 'Canada', country: 'CA' },
  { clusterId: 'intl-gb', name: 'United Kingdom', country: 'GB' },
  { clusterId: 'intl-de', name: 'Germany', country: 'DE' },
  { clusterId: 'intl-fr', name: 'France', country: 'FR' },
  // No route reaches it: addresses there see nothing deliverable.
  { clusterId: 'intl-br', name: 'Brazil', country: 'BR' },
];

export const logisticsRoutes: Route[] = [
  ['wh-east', 'east', 1], ['wh-east', 'central', 2], ['wh-east', 'west', 4], ['wh-east', 'intl-ca', 3],
  ['wh-central', 'central', 1], ['wh-central', 'east', 2], ['wh-central', 'west', 2], ['wh-central', 'intl-ca', 3],
  ['wh-west', 'west', 1], ['wh-west', 'central', 2], ['wh-west', 'east', 4],
  ['wh-eu', 'intl-de', 1], ['wh-eu', 'intl-fr', 2], ['wh-eu', 'intl-gb', 3],
  ['wh-uk', 'intl-gb', 1], ['wh-uk', 'intl-fr', 3], ['wh-uk', 'intl-de', 3],
].map(([warehouseId, clusterId, transitDays]) => ({ warehouseId: warehouseId as string, clusterId: clusterId as string, transitDays: transitDays as number }));

/** Stock per warehouse for SKU number `i`: about 8% at zero everywhere, most in one or two regions. */
export function demoStock(i: number): { warehouseId: string; onHand: number }[] {
  const r = rng(i * 40503 + 17);
  if (r() < 0.08) return [];
  const out: { warehouseId: string; onHand: number }[] = [];
  for (const w of logisticsWarehouses) if (r() < 0.45) out.push({ warehouseId: w.warehouseId, onHand: 1 + Math.floor(r() * 300) });
  if (out.length === 0) out.push({ warehouseId: pick(r, logisticsWarehouses).warehouseId, onHand: 1 + Math.floor(r() * 100) });
  return out;
}
