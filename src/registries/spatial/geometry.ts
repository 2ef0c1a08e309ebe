/** PostgreSQL `polygon` text, `((x1,y1),(x2,y2),…)`, as a closed GeoJSON-style ring of [lng, lat]. */
export function ringOf(polygon: string | null): number[][] | null {
  if (!polygon) return null;
  const ring = [...polygon.matchAll(/\(([-\d.e+]+),([-\d.e+]+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return ring.length ? [...ring, ring[0]] : null;
}

/** The point a query looks for, as a degenerate polygon: GiST indexes `polygon @> polygon`, not `@> point`. */
export const POINT_AS_POLYGON = 'polygon(box(point($1, $2), point($1, $2)))';
