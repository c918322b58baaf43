/// Command-line interface.
public enum SkiffCLI {}
