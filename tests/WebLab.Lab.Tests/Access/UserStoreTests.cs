using Dapper;
using WebLab.Lab.Access;

namespace WebLab.Lab.Tests.Access;

public sealed class UserStoreTests
{
    [Fact]
    public async Task ApiTokens_AreStoredHashed_WorkUntilRevoked_AndRecordTheirUse()
    {
        await using var lab = await TempLab.CreateAsync();
        var users = new UserStore(lab.Db);
        var alice = await users.AddAsync("alice", Role.Member);
        var (token, secret) = await users.CreateTokenAsync(alice, TokenPurpose.Api, "laptop");

        await using (var connection = await lab.Db.OpenAsync())
        {
            var stored = await connection.QuerySingleAsync<string>("SELECT hash FROM tokens WHERE id = @id", new { id = token.Id });
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.Equal(64, stored.Length); // SHA-256, hex
        }
        Assert.Null((await users.TokensAsync(alice.Id)).Single().LastUsedAt);
        lab.Time.Advance(TimeSpan.FromMinutes(5));
        var found = await users.AuthenticateAsync(secret, TokenPurpose.Api);
        Assert.Equal("alice", found!.Value.User.Name);
        Assert.NotNull((await users.TokensAsync(alice.Id)).Single().LastUsedAt);
        Assert.True(await users.AuthenticateAsync(secret, TokenPurpose.Api) is not null, "an API token works again and again");
        Assert.Null(await users.AuthenticateAsync(secret, TokenPurpose.Link)); // not a sign-in link
        Assert.Null(await users.AuthenticateAsync(secret + "x", TokenPurpose.Api));

        Assert.True(await users.RevokeAsync(token.Id, alice.Id));
        Assert.Null(await users.AuthenticateAsync(secret, TokenPurpose.Api));
        Assert.False(await users.IsLiveAsync(token.Id));
        Assert.False(await users.RevokeAsync(token.Id, alice.Id), "already revoked");
    }

    [Fact]
    public async Task SignInLinks_WorkOnce_AndExpire()
    {
        await using var lab = await TempLab.CreateAsync();
        var users = new UserStore(lab.Db);
        var bob = await users.AddAsync("bob", Role.Member);
        var (_, once) = await users.CreateTokenAsync(bob, TokenPurpose.Link, "invitation", TimeSpan.FromHours(1));
        Assert.NotNull(await users.AuthenticateAsync(once, TokenPurpose.Link));
        Assert.Null(await users.AuthenticateAsync(once, TokenPurpose.Link));

        var (_, late) = await users.CreateTokenAsync(bob, TokenPurpose.Link, "invitation", TimeSpan.FromHours(1));
        lab.Time.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(await users.AuthenticateAsync(late, TokenPurpose.Link));
    }

    [Fact]
    public async Task Passwords_AreHashedByIdentity_AndADisabledUserCannotSignIn()
    {
        await using var lab = await TempLab.CreateAsync();
        var users = new UserStore(lab.Db);
        var carol = await users.AddAsync("carol", Role.Admin, "a long passphrase");
        Assert.StartsWith("AQAAAA", carol.PasswordHash, StringComparison.Ordinal); // ASP.NET Core Identity's v3 format (PBKDF2)
        Assert.NotNull(await users.VerifyPasswordAsync("carol", "a long passphrase"));
        Assert.NotNull(await users.VerifyPasswordAsync("CAROL", "a long passphrase")); // names compare without case
        Assert.Null(await users.VerifyPasswordAsync("carol", "a long passphrasE"));
        Assert.Null(await users.VerifyPasswordAsync("nobody", "a long passphrase"));
        await Assert.ThrowsAsync<BadInputException>(() => users.SetPasswordAsync(carol, "short"));

        var (_, secret) = await users.CreateTokenAsync(carol, TokenPurpose.Api, "ci");
        await users.SetDisabledAsync("carol", disabled: true);
        Assert.Null(await users.VerifyPasswordAsync("carol", "a long passphrase"));
        Assert.Null(await users.AuthenticateAsync(secret, TokenPurpose.Api));
    }

    [Theory]
    [InlineData("weblab")]
    [InlineData("Anonymous")]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("<script>")]
    public async Task ReservedOrMalformedNames_AreRefused(string name)
    {
        await using var lab = await TempLab.CreateAsync();
        await Assert.ThrowsAsync<BadInputException>(() => new UserStore(lab.Db).AddAsync(name, Role.Member));
    }

    [Fact]
    public async Task NamesAreUnique_WithoutCase()
    {
        await using var lab = await TempLab.CreateAsync();
        var users = new UserStore(lab.Db);
        await users.AddAsync("Dana", Role.Member);
        await Assert.ThrowsAsync<ConflictNameException>(() => users.AddAsync("dana", Role.Guest));
    }

    [Fact]
    public async Task EventCodes_GiveTheirRole_UntilTheyExpire_AndNeverAdmin()
    {
        await using var lab = await TempLab.CreateAsync();
        var users = new UserStore(lab.Db);
        var code = await users.CreateEventCodeAsync(Role.Member, lab.Time.GetUtcNow().AddHours(48));
        Assert.Equal(Role.Member, await users.RedeemEventCodeAsync(code));
        Assert.Null(await users.RedeemEventCodeAsync(code + "x"));
        lab.Time.Advance(TimeSpan.FromHours(49));
        Assert.Null(await users.RedeemEventCodeAsync(code));
        await Assert.ThrowsAsync<BadInputException>(() => users.CreateEventCodeAsync(Role.Admin, lab.Time.GetUtcNow().AddHours(1)));
    }
}
