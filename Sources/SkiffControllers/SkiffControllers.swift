/// Scheduler and controllers, each a `Service` running inside `skiff server`.
public enum SkiffControllers {}
