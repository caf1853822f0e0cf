/** Whether node_modules holds what package-lock.json asks for (by content, not file times). */
export function dependenciesCurrent(root: string): boolean;
