using System.Reflection;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A stand-in <see cref="Assembly"/> handed to ML.NET's public <c>ComponentCatalog.RegisterAssembly</c>. The catalog
/// discovers loadable classes only through an assembly's <c>LoadableClassAttribute</c>s — an internal attribute type that
/// no assembly outside Microsoft's can declare — so this object returns attribute instances built by reflection
/// (<see cref="MlNetInternals.NewLoadableClassAttribute"/>) and otherwise looks like an empty assembly.
/// </summary>
internal sealed class ComponentRegistrationAssembly : Assembly
{
    private readonly Attribute[] _attributes;
    private readonly AssemblyName _name;

    /// <param name="name">Unique per set of attributes: the catalog skips an assembly whose full name it has seen.</param>
    /// <param name="attributes">The loadable-class attributes.</param>
    internal ComponentRegistrationAssembly(AssemblyName name, IEnumerable<Attribute> attributes)
    {
        _name = name;
        _attributes = attributes.ToArray();
    }

    /// <summary>Number of loadable classes this assembly declares.</summary>
    internal int Count => _attributes.Length;

    public override string FullName => _name.FullName;
    public override AssemblyName GetName() => (AssemblyName)_name.Clone();
    public override AssemblyName GetName(bool copiedName) => (AssemblyName)_name.Clone();
    public override string Location => string.Empty;
    public override bool IsDynamic => true;
    public override object[] GetCustomAttributes(bool inherit) => Filter(typeof(Attribute));
    public override object[] GetCustomAttributes(Type attributeType, bool inherit) => Filter(attributeType);
    public override bool IsDefined(Type attributeType, bool inherit) => _attributes.Any(attributeType.IsInstanceOfType);
    public override IList<CustomAttributeData> GetCustomAttributesData() => Array.Empty<CustomAttributeData>();
    public override Type[] GetTypes() => Type.EmptyTypes;
    public override Type[] GetExportedTypes() => Type.EmptyTypes;
    public override IEnumerable<TypeInfo> DefinedTypes => Array.Empty<TypeInfo>();
    public override string ToString() => FullName;
    public override bool Equals(object? o) => o is ComponentRegistrationAssembly other && other.FullName == FullName;
    public override int GetHashCode() => FullName.GetHashCode(StringComparison.Ordinal);

    private object[] Filter(Type attributeType)
    {
        Attribute[] matches = _attributes.Where(attributeType.IsInstanceOfType).ToArray();
        var result = (object[])Array.CreateInstance(attributeType, matches.Length);
        Array.Copy(matches, result, matches.Length);
        return result;
    }
}
