/// Revisioned key-value store: the single datastore every write goes through.
public enum SkiffStore {}
