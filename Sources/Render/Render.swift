/// The storefront renderer: themes, pages, components and assets.
///
/// The module is laid out by the package skeleton; its templates, themes and asset pipeline
/// arrive with the Render issue. It depends on TenantStore's model types only.
public enum Render {}
