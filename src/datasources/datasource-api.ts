/**
 * The public surface of a datasource class, as a structural type. Request contexts hold tenant-guarded stand-ins
 * for the datasources (see `servicesFor` in `src/auth/tenant-services.ts`), which a class type with private
 * members would not accept; everything that takes a datasource from a context takes this type.
 */
export type Api<T> = { readonly [K in keyof T]: T[K] };
