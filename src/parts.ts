/** The deployable parts of an estate, in the order they are reported. */
export const PART_NAMES = ['backend', 'frontend'] as const
export type PartName = (typeof PART_NAMES)[number]
