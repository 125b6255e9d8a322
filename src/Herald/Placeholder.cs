namespace Herald; internal static class Placeholder { }
