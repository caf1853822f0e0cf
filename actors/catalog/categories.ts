// The category tree, built from category paths and their product counts. Pure.

export interface CategoryNode {
  slug: string;
  path: string;
  name: string;
  /** Products in this category and below it. */
  count: number;
  children: CategoryNode[];
}

const titleCase = (slug: string) => slug.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');

export function categoryTree(counts: Record<string, number>): CategoryNode[] {
  const roots: CategoryNode[] = [];
  const byPath = new Map<string, CategoryNode>();
  for (const [category, n] of Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parts = category.split('/');
    let siblings = roots;
    for (let i = 0; i < parts.length; i++) {
      const path = parts.slice(0, i + 1).join('/');
      let node = byPath.get(path);
      if (!node) {
        node = { slug: parts[i]!, path, name: titleCase(parts[i]!), count: 0, children: [] };
        byPath.set(path, node);
        siblings.push(node);
      }
      node.count += n;
      siblings = node.children;
    }
  }
  return roots;
}
