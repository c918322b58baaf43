import SkiffCLI
