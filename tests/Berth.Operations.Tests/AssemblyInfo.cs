// One test at a time: an OpenTelemetry meter provider listens to every meter of its name in the process, so series
// of a server started by a parallel test would add to the counts another test asserts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
