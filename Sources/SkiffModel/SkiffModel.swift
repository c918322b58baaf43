/// The pure core of skiff: JSON, the schema registry, selectors and patches. Imports Foundation only.
public enum SkiffModel {}
