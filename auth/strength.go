package auth

import (
	"strings"
	"unicode/utf8"
)

// MinPasswordLen is the shortest password PasswordProblem accepts, in
// characters (runes), not bytes.
const MinPasswordLen = 10

// Messages returned by PasswordProblem. They are shown to the user as is.
const (
	problemTooShort = "Password must be at least 10 characters long."
	problemTooLong  = "Password must be at most 4096 bytes long."
	problemLogin    = "Password must not be the same as the login."
	problemCommon   = "Password is one of the most common passwords; choose another."
)

// PasswordProblem explains why a new password is refused, "" when it is
// acceptable. The rules, in order:
//
//   - at least MinPasswordLen characters (runes, so "ääääääääää" counts
//     10, not 20) and at most MaxPasswordLen bytes (HashPassword's limit);
//   - not the login itself, nor its local part (before the last '@'),
//     compared case-insensitively;
//   - not in a built-in list of common passwords from public breach
//     corpora, compared in lower case.
//
// There are no composition rules (digits, symbols): NIST SP 800-63B
// section 3.1.1.2 advises against them, and length plus a blocklist is
// what it asks for.
func PasswordProblem(password, login string) string {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return problemTooShort
	}
	if len(password) > MaxPasswordLen {
		return problemTooLong
	}
	if login != "" {
		if strings.EqualFold(password, login) {
			return problemLogin
		}
		if at := strings.LastIndexByte(login, '@'); at > 0 && strings.EqualFold(password, login[:at]) {
			return problemLogin
		}
	}
	if _, ok := commonPasswords[strings.ToLower(password)]; ok {
		return problemCommon
	}
	return ""
}

// commonPasswords is commonPasswordList as a set.
var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 256)
	for _, p := range strings.Split(strings.TrimSpace(commonPasswordList), "\n") {
		m[p] = struct{}{}
	}
	return m
}()

// commonPasswordList holds the most frequent passwords of at least 10
// characters, lower case, one a line: mostly taken in frequency order from
// the NCSC/Have I Been Pwned top 100,000 and NordPass's 2024 and 2025 top
// 200 lists (as collected in SecLists), keeping only entries of
// MinPasswordLen characters or more (shorter ones fail the length rule
// anyway) and leaving out breach-specific random strings, profanity and
// slurs. It is a floor against the very worst choices, not a breach
// corpus check.
const commonPasswordList = `
1234567890
1q2w3e4r5t
qwertyuiop
123456789a
0123456789
0987654321
q1w2e3r4t5y6
1111111111
basketball
1234567891
12345qwert
q1w2e3r4t5
a123456789
12345678910
liverpool1
1qaz2wsx3edc
0000000000
butterfly1
qwerty12345
1234554321
chocolate1
tinkerbell
1q2w3e4r5t6y
elizabeth1
password123
hellokitty
spongebob1
123456789q
4815162342
alexander1
manchester
asdfghjkl1
spiderman1
beautiful1
9876543210
1122334455
1029384756
california
christian1
qwerty123456
iloveyou12
qwerty1234
1234512345
123qweasdzxc
strawberry
qwert12345
azertyuiop
5555555555
christopher
1123581321
stephanie1
undertaker
sweetheart
zxcvbnm123
password11
realmadrid
linkinpark
bestfriend
volleyball
babygirl12
abcdefg123
superstar1
123456qwerty
christina1
football12
september1
123456789m
terminator
123456789z
poiuytrewq
harrypotter
welcome123
aaaaaaaaaa
123456654321
jesuschrist
hollywood1
dragonball
7894561230
paintball1
123456123456
friendship
pokemon123
skateboard
1234567890q
blackberry
mypassword
watermelon
9999999999
qazwsxedcrfv
abcde12345
password00
buttercup1
ronaldinho
password22
a1b2c3d4e5
2222222222
cinderella
sunflower1
1234567890a
porsche911
qazwsxedc1
washington
1357924680
daddysgirl
youngmoney
underground
7777777777
1q2w3e4r5t6y7u8i9o0p
callofduty
lighthouse
qwertyqwerty
123456789123
revolution
ironmaiden
galatasaray
112233445566
princess10
justinbieber
playstation
smallville
987654321a
godisgreat
baseball12
prettygirl
iloveyou13
qweasdzxc123
qwertyuiop[]
1020304050
australia1
iloveyou11
q123456789
university
mastermind
abcdefghij
jesusislord
12345678900
iloveyou123
qazwsxedc123
iamthebest
12345678901
mississippi
love123456
opensesame
1234567890-
0102030405
1q2w3e4r5t6y7u
hellohello
professional
8888888888
qwerasdfzxcv
qwertyuiop123
testing123
summertime
abracadabra
3333333333
leavemealone
roadrunner
happiness1
dragonballz
evangelion
sailormoon
password1234
password99
ilovemymom
ilovemyself
nopassword
qweasdzxc1
asdfg12345
12345abcde
sweetness1
iloveyou22
nintendo64
password12
password01
password10
password13
password69
password@123
password@1
welcome@123
administrator
admin12345
admin123456
adminadmin
aa12345678
aa123456789
aa@1234567
1234567899
pakistan123
pass@12345
qwerty@123
qwerty123!
qwerty123?
passw0rd123
p@ssw0rd123
letmein123
changeme123
iloveyou1234
motdepasse
passwort123
contrasena
contraseña
`
