using System.Reflection;

namespace MLNet.Transfer.Tests;

/// <summary>Every test belongs to a tier, so `--filter TestCategory=Unit` (and the others) select the whole suite between them.</summary>
[Category("Unit")]
public class TierGuardTests
{
    /// <summary>The tiers (README, "Tests"); SharedData is an extra marker, not a tier.</summary>
    public static readonly string[] Tiers = ["Unit", "Integration", "Packaging", "Notebook", "Reliability"];

    private static IEnumerable<string> Categories(MemberInfo member) =>
        member.GetCustomAttributes<CategoryAttribute>(inherit: true).Select(c => c.Name);

    private static bool IsTest(MethodInfo method) =>
        method.IsDefined(typeof(TestAttribute), true) || method.IsDefined(typeof(TestCaseAttribute), true) ||
        method.IsDefined(typeof(TestCaseSourceAttribute), true) || method.IsDefined(typeof(TheoryAttribute), true);

    [Test]
    public void EveryTestMethodHasATierCategoryOnItselfOrItsFixture()
    {
        var tests = typeof(TierGuardTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(IsTest).Select(method => (type, method)))
            .ToList();
        Assert.That(tests, Has.Count.GreaterThan(100), "the reflection must find the suite's tests");

        var untiered = tests.Where(t => !Categories(t.method).Concat(Categories(t.type)).Intersect(Tiers).Any())
                            .Select(t => $"{t.type.FullName}.{t.method.Name}").ToList();
        Assert.That(untiered, Is.Empty, $"tests without one of the categories {string.Join(", ", Tiers)}");
    }

    [Test]
    public void CategoryNamesAreTiersOrSharedData()
    {
        var allowed = Tiers.Append("SharedData").ToHashSet();
        var unknown = typeof(TierGuardTests).Assembly.GetTypes()
            .SelectMany(type => Categories(type).Concat(type.GetMethods().SelectMany(Categories)).Select(name => $"{type.FullName}: {name}"))
            .Where(entry => !allowed.Contains(entry[(entry.LastIndexOf(": ", StringComparison.Ordinal) + 2)..]))
            .Distinct().ToList();
        Assert.That(unknown, Is.Empty, "a misspelt category would silently drop tests from a tier's filter");
    }
}
