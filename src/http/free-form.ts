const FREE_FORM_PROPERTIES = new WeakMap<object, Set<string>>();

/**
 * A JSON object a client gives and gets back exactly (`credentials`, `metadata_json`): validated where it
 * is (type, size) but never copied by class-transformer, which drops keys named like members of
 * `Object.prototype`, or stripped of `__proto__` keys, which are data like any other in it.
 */
export function FreeFormObject(): PropertyDecorator {
  return (target, property) => {
    const properties = FREE_FORM_PROPERTIES.get(target.constructor) ?? new Set<string>();
    properties.add(String(property));
    FREE_FORM_PROPERTIES.set(target.constructor, properties);
  };
}

const FREE_FORM_PROPERTIES_OF = new WeakMap<object, ReadonlySet<string>>();

/** The free-form properties a DTO class (or a class it extends) declares. */
export function freeFormPropertiesOf(dto: new () => object): ReadonlySet<string> {
  let properties = FREE_FORM_PROPERTIES_OF.get(dto);
  if (!properties) {
    const found = new Set<string>();
    for (let type: unknown = dto; typeof type === 'function' && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
      for (const property of FREE_FORM_PROPERTIES.get(type) ?? []) found.add(property);
    }
    FREE_FORM_PROPERTIES_OF.set(dto, (properties = found));
  }
  return properties;
}
