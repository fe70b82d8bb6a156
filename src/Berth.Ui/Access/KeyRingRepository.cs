using System.Xml.Linq;
using Berth.Storage.Metadata;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;

namespace Berth.Ui.Access;

/// <summary>
/// Where Data Protection keeps the keys that encrypt the UI's session cookies and antiforgery tokens: the metadata
/// store, so every replica on one database (PostgreSQL) reads and extends one key ring, and a cookie made by one is
/// accepted by all, also after each rotation. The embedded store keeps them in its SQLite file.
/// </summary>
internal sealed partial class KeyRingRepository : IXmlRepository
{
    private readonly IKeyRingStore _store;

    public KeyRingRepository(IKeyRingStore store, string dataDirectory, ILogger logger)
    {
        _store = store;
        ImportKeyFolderOnce(dataDirectory, logger);
    }

    public IReadOnlyCollection<XElement> GetAllElements() => [.. _store.ReadKeyRing().Select(xml => XElement.Parse(xml))];

    public void StoreElement(XElement element, string friendlyName) =>
        // Data Protection's interface is synchronous; a new element is written once per key rotation (90 days).
        _store.AddToKeyRingAsync(friendlyName, element.ToString(SaveOptions.DisableFormatting)).GetAwaiter().GetResult();

    /// <summary>
    /// Before the key ring moved into the metadata store, it was kept as files in the data folder's "ui/keys". On an
    /// upgrade, those keys are imported once, while the store has none, so signed-in sessions survive; the folder is
    /// then left alone (neither read again nor deleted), and can be removed by the operator.
    /// </summary>
    private void ImportKeyFolderOnce(string dataDirectory, ILogger logger)
    {
        var folder = Path.Combine(dataDirectory, "ui", "keys");
        if (!Directory.Exists(folder) || _store.ReadKeyRing().Count > 0) return;
        var imported = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.xml").Order(StringComparer.Ordinal))
        {
            XElement element;
            try
            {
                element = XElement.Load(file);
            }
            catch (Exception e) when (e is System.Xml.XmlException or IOException or UnauthorizedAccessException)
            {
                NotImported(logger, file, e.Message);
                continue;
            }
            _store.AddToKeyRingAsync(Path.GetFileNameWithoutExtension(file), element.ToString(SaveOptions.DisableFormatting)).GetAwaiter().GetResult();
            imported++;
        }
        if (imported > 0) Imported(logger, imported, folder);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not importing the UI key file {File}: {Reason}")]
    private static partial void NotImported(ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported {Count} UI key files from {Folder} into the metadata store; the folder is no longer used")]
    private static partial void Imported(ILogger logger, int count, string folder);
}
