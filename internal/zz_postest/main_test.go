package postest
import ("testing";"fmt";"github.com/berthdev/berth/internal/iam/policy")
func TestPos(t *testing.T){
 doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"
 p, err := policy.Parse(doc, policy.KindIdentity); if err!=nil {t.Fatal(err)}
 for _, s := range p.Statements { fmt.Println(s.Start, s.End) }
 doc2 := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`
 p, _ = policy.Parse(doc2, policy.KindIdentity)
 for _, s := range p.Statements { fmt.Println(s.Start, s.End) }
 doc3 := `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
 p, _ = policy.Parse(doc3, policy.KindIdentity)
 for _, s := range p.Statements { fmt.Println(s.Start, s.End) }
}
