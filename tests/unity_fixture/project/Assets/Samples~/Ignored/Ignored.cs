// Unity ignores folders ending in ~, and so must SPARK.
public class IgnoredSample { }
